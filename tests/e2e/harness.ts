/**
 * The real cloud (startCloud) with real device agents, for end-to-end and interop tests: the
 * embedded broker or a Debian mosquitto fed the same accounts (cloud/fleet/broker/mosquitto.ts),
 * releases published through the HTTP API with the operator token, and DeviceAgents running a
 * tiny model on a steady feed. Ports are the OS's; a restart keeps them and the data dir.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { MosquittoFiles } from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../../cloud/fleet/broker/operator.js';
import type { DeviceCredentials } from '../../cloud/fleet/devices.js';
import { CloudClient } from '../../cloud/fleet/http/client.js';
import type { JobRecord } from '../../cloud/fleet/releases/types.js';
import { type CloudHandle, type CloudOptions, startCloud } from '../../cloud/fleet/service.js';
import type { DeviceSummary } from '../../device/runtime/summary.js';
import { DeviceAgent, type DeviceAgentOptions } from '../../device/sync/agent.js';
import type { Release } from '../../shared/release/create.js';
import { generateKeys, type KeyPair } from '../../shared/release/keys.js';
import { encodeReleaseFile } from '../../shared/release/release-file.js';
import { waitFor } from '../device/sync/fleet.js';
import { Feed, PI4 } from '../device/sync/models.js';

export { sleep, waitFor } from '../device/sync/fleet.js';

export type BrokerKind = 'embedded' | 'mosquitto';

export interface E2eFleet {
  readonly fleet: string;
  readonly dir: string;
  readonly kind: BrokerKind;
  cloud: CloudHandle;
  readonly mosquitto: RunningMosquitto | null;
  /** Where devices connect. */
  readonly brokerUrl: string;
  readonly keys: KeyPair;
  /** Every log line of the cloud (across restarts), prefixed as the cloud prefixes them. */
  readonly logs: string[];
  readonly api: CloudClient;
  /** Registers devices (in `fleet`, default the harness's) and tells Mosquitto about them. */
  provision(ids: readonly string[], fleet?: string): Promise<DeviceCredentials[]>;
  /** Upload a release through the HTTP API and roll it out to a whole fleet; the rollout id. */
  publish(release: Release, o?: { stages?: readonly number[]; fleet?: string }): Promise<string>;
  /** The job of a rollout for one device, from the HTTP API. */
  job(rolloutId: string, device: string): Promise<JobRecord | undefined>;
  /** Waits until the device's job is in one of `states`; returns it. */
  waitForJob(
    rolloutId: string,
    device: string,
    states: readonly string[],
    timeoutMs?: number,
  ): Promise<JobRecord>;
  /** An MQTT client on the operator account (for watching and for the tests' men in the middle). */
  operatorClient(clientId: string): Promise<MqttClient>;
  /** Close the cloud, wait, start it again on the same data dir and ports. */
  restartCloud(downMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startE2eFleet(
  o: { kind?: BrokerKind; fleet?: string; cloud?: Partial<CloudOptions> } = {},
): Promise<E2eFleet> {
  const kind = o.kind ?? 'embedded';
  const fleet = o.fleet ?? 'e2e';
  const dir = mkdtempSync(join(tmpdir(), `liquidkan-e2e-${kind}-`));
  const logs: string[] = [];
  let mosquitto: RunningMosquitto | null = null;
  if (kind === 'mosquitto') {
    const files = new MosquittoFiles(MosquittoFiles.dirFor(dir)).setOperator(loadOrCreateOperator(dir));
    mosquitto = await startMosquitto(files);
  }
  const options = (mqttPort: number, httpPort: number): CloudOptions => ({
    dataDir: dir,
    broker: mosquitto ? mosquitto.operatorUrl : 'embedded',
    mqttPort,
    httpPort,
    host: '127.0.0.1',
    stageTimeoutMs: 60_000,
    rolloutCheckMs: 200,
    log: (line) => logs.push(line),
    ...o.cloud,
  });
  const first = await startCloud(options(0, 0));
  const api = () =>
    new CloudClient({ baseUrl: f.cloud.httpUrl, token: readFileSync(f.cloud.tokenFile, 'utf8').trim() });
  const f: E2eFleet = {
    fleet,
    dir,
    kind,
    cloud: first,
    mosquitto,
    brokerUrl: mosquitto ? mosquitto.url : first.brokerUrl,
    keys: generateKeys(),
    logs,
    get api() {
      return api();
    },
    async provision(ids, inFleet = fleet) {
      const creds = ids.map((id) => f.cloud.registry.addDevice({ fleet: inFleet, id, broker: f.brokerUrl }));
      if (mosquitto) {
        mosquitto.files.addDevices(creds);
        await mosquitto.reload();
      }
      return creds;
    },
    async publish(release, p = {}) {
      const client = api();
      const { release: stored } = await client.uploadRelease(encodeReleaseFile(release));
      const request = { release: stored.id, fleet: p.fleet ?? fleet, stages: p.stages ?? [100] };
      return (await client.startRollout(request)).rollout.id;
    },
    async job(rolloutId, device) {
      return (await api().rollout(rolloutId)).jobs.find((j) => j.device === device);
    },
    async waitForJob(rolloutId, device, states, timeoutMs = 20_000) {
      let job: JobRecord | undefined;
      const start = Date.now();
      while (!(job && states.includes(job.state))) {
        if (Date.now() - start > timeoutMs) {
          throw new Error(
            `job of ${device} is ${job?.state ?? 'absent'} (${job?.reason ?? ''}), not ${states.join('|')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
        job = await f.job(rolloutId, device);
      }
      return job;
    },
    async operatorClient(clientId) {
      const c = await mqtt.connectAsync(f.brokerUrl, {
        ...f.cloud.operator,
        clientId,
        reconnectPeriod: 100,
      });
      c.on('error', () => {});
      return c;
    },
    async restartCloud(downMs = 300) {
      const mqttPort = Number(new URL(f.cloud.brokerUrl).port);
      const httpPort = Number(new URL(f.cloud.httpUrl).port);
      await f.cloud.close();
      await new Promise((r) => setTimeout(r, downMs));
      f.cloud = await startCloud(options(mosquitto ? 0 : mqttPort, httpPort));
      // the cloud's own subscribers come back quickly after this restart
    },
    async close() {
      await f.cloud.close();
      await mosquitto?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

export interface RunningAgent {
  readonly agent: DeviceAgent;
  readonly feed: Feed;
  readonly logs: string[];
  readonly done: Promise<DeviceSummary | Error>;
  /** End the feed, let the run finish, close the agent; the run's summary. */
  finish(): Promise<DeviceSummary>;
}

/** A real DeviceAgent on a tiny model fed a steady input, with short timeouts for tests. */
export function startAgent(
  creds: DeviceCredentials,
  o: { dataDir: string; model: string; trust: KeyPair['publicKey']; extra?: Partial<DeviceAgentOptions> },
): RunningAgent {
  const feed = new Feed().start();
  const logs: string[] = [];
  const agent = new DeviceAgent({
    dataDir: o.dataDir,
    credentials: creds,
    trust: [o.trust],
    run: {
      model: o.model,
      profile: PI4,
      input: '-',
      stdin: feed.stream,
      format: 'jsonl',
      threads: 1,
      latencyCheck: false,
      emit: null,
      log: (l) => logs.push(l),
    },
    telemetryIntervalMs: 150,
    client: { reconnectPeriodMs: 100 },
    flushTimeoutMs: 500,
    ...o.extra,
    jobs: {
      chunkTimeoutMs: 1000,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
      progressIntervalMs: 50,
      ...o.extra?.jobs,
    },
    log: (l) => logs.push(l),
  });
  agent.start();
  const done = agent.run().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  return {
    agent,
    feed,
    logs,
    done,
    async finish() {
      feed.end();
      const summary = await done;
      await agent.close();
      if (summary instanceof Error) throw summary;
      return summary;
    },
  };
}

/** Waits until the agent has buffered enough samples for a model health check. */
export function warmedUp(a: RunningAgent, samples = 100): Promise<void> {
  return waitFor(`${samples} buffered samples`, () => (a.agent.runner.recent?.size ?? 0) >= samples);
}
