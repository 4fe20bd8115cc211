/**
 * Release-service tests: the embedded broker on an OS-chosen port, the real registry and
 * release service in a temp dir, and simulated devices: real MQTT clients on device accounts
 * that subscribe to their cloud-side topics, publish valid JobUpdate messages and request chunks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type FleetBroker, startFleetBroker } from '../../../../cloud/fleet/broker/index.js';
import { type DeviceCredentials, DeviceRegistry } from '../../../../cloud/fleet/devices.js';
import { type FleetEvent, FleetEvents } from '../../../../cloud/fleet/events.js';
import { ReleaseService, type ReleaseServiceOptions } from '../../../../cloud/fleet/releases/service.js';
import { classicLibrary } from '../../../../shared/library/library.js';
import { createRelease, type Release } from '../../../../shared/release/create.js';
import { generateKeys } from '../../../../shared/release/keys.js';
import type {
  CommandMessage,
  Desired,
  JobNotify,
  JobState,
  JobUpdate,
} from '../../../../shared/types/sync.js';

export { waitFor } from '../helpers.js';

export const KEYS = generateKeys();

/** A library release whose payload differs per `version` (the library's own version field). */
export function libraryRelease(version = 1, chunkBytes = 512): Release {
  return createRelease({
    kind: 'library',
    library: { ...classicLibrary(), version },
    key: KEYS.privateKey,
    chunkBytes,
  });
}

export class SimDevice {
  readonly notifies: JobNotify[] = [];
  readonly desired: Desired[] = [];
  readonly commands: { name: string; message: CommandMessage }[] = [];
  readonly #waiting = new Map<string, ((payload: Buffer) => void)[]>();

  constructor(
    readonly client: MqttClient,
    readonly fleet: string,
    readonly id: string,
  ) {
    client.on('message', (topic, payload) => {
      const rest = topic.split('/').slice(4).join('/');
      if (rest === 'jobs/notify') this.notifies.push(JSON.parse(payload.toString()) as JobNotify);
      else if (rest === 'desired') this.desired.push(JSON.parse(payload.toString()) as Desired);
      else if (rest.startsWith('cmd/')) {
        this.commands.push({
          name: rest.slice(4),
          message: JSON.parse(payload.toString()) as CommandMessage,
        });
      } else if (rest.startsWith('stream/')) this.#waiting.get(rest.split('/')[1]!)?.shift()?.(payload);
    });
  }

  topic(suffix: string): string {
    return `lk/v1/${this.fleet}/${this.id}/${suffix}`;
  }

  lastNotify(): JobNotify | undefined {
    return this.notifies[this.notifies.length - 1];
  }

  async update(jobId: string, state: JobState, extra: Partial<JobUpdate> = {}): Promise<void> {
    const update: JobUpdate = { jobId, state, at: new Date().toISOString(), ...extra };
    await this.client.publishAsync(this.topic(`jobs/${jobId}/update`), JSON.stringify(update), { qos: 1 });
  }

  /** Publishes `stream/{sid}/get` with `body` and resolves with the next message on `stream/{sid}/data`. */
  request(sid: string, body: string | object): Promise<Buffer> {
    const answer = new Promise<Buffer>((resolve) => {
      const list = this.#waiting.get(sid) ?? [];
      list.push(resolve);
      this.#waiting.set(sid, list);
    });
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    this.client.publish(this.topic(`stream/${sid}/get`), text, { qos: 1 });
    return answer;
  }

  /**
   * request() that gives up after `ms`: null, and its place in the answer queue is withdrawn,
   * so the answer to a later try is not handed to this abandoned one (a device's ChunkFetcher
   * drops a timed-out try the same way).
   */
  requestWithin(sid: string, body: string | object, ms: number): Promise<Buffer | null> {
    return new Promise<Buffer | null>((resolve) => {
      const list = this.#waiting.get(sid) ?? [];
      const answer = (payload: Buffer) => {
        clearTimeout(timer);
        resolve(payload);
      };
      const timer = setTimeout(() => {
        const at = list.indexOf(answer);
        if (at >= 0) list.splice(at, 1);
        resolve(null);
      }, ms);
      list.push(answer);
      this.#waiting.set(sid, list);
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      this.client.publish(this.topic(`stream/${sid}/get`), text, { qos: 1 });
    });
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

export async function connectDevice(url: string, creds: DeviceCredentials): Promise<SimDevice> {
  const client = await mqtt.connectAsync(url, {
    clientId: creds.username,
    username: creds.username,
    password: creds.password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  });
  (client.stream as Socket).setNoDelay(true);
  const device = new SimDevice(client, creds.fleet, creds.id);
  const prefix = `lk/v1/${creds.fleet}/${creds.id}`;
  await client.subscribeAsync(
    [`${prefix}/jobs/notify`, `${prefix}/desired`, `${prefix}/cmd/#`, `${prefix}/stream/+/data`],
    { qos: 1 },
  );
  return device;
}

export interface ReleaseFleet {
  readonly dir: string;
  readonly registry: DeviceRegistry;
  readonly broker: FleetBroker;
  readonly service: ReleaseService;
  readonly events: FleetEvent[];
  readonly logs: string[];
  /** Registers a device (optionally with a profile, as its birth would) and connects it. */
  device(fleet: string, id: string, options?: { profile?: string }): Promise<SimDevice>;
  register(fleet: string, id: string): DeviceCredentials;
  close(): Promise<void>;
}

export async function startReleaseFleet(
  options: Partial<Omit<ReleaseServiceOptions, 'url' | 'username' | 'password' | 'registry'>> = {},
): Promise<ReleaseFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-releases-'));
  const logs: string[] = [];
  const seen: FleetEvent[] = [];
  const registry = DeviceRegistry.open(dir);
  const broker = await startFleetBroker({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    registry,
    log: (l) => logs.push(`broker: ${l}`),
  });
  const events = new FleetEvents((l) => logs.push(l));
  events.subscribe((e) => seen.push(e));
  const service = await ReleaseService.start({
    dataDir: dir,
    url: broker.url,
    username: broker.operator.username,
    password: broker.operator.password,
    registry,
    events,
    trustedKeys: [KEYS.publicKey],
    log: (l) => logs.push(l),
    ...options,
  });
  const devices: SimDevice[] = [];
  return {
    dir,
    registry,
    broker,
    service,
    events: seen,
    logs,
    register: (fleet, id) => registry.addDevice({ fleet, id }),
    async device(fleet, id, opts = {}) {
      const creds = registry.addDevice({ fleet, id });
      if (opts.profile) registry.recordBirth(fleet, id, { profile: opts.profile }, '{}', true);
      const d = await connectDevice(broker.url, creds);
      devices.push(d);
      return d;
    },
    async close() {
      await Promise.all(devices.map((d) => d.close()));
      await service.close();
      await broker.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
