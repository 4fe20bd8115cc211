/**
 * A child process of the `fleet` benchmark (bench-fleet.ts): simulated devices, each its own
 * MQTT connection through the device's real SyncClient, sending QoS 1 `tel/perf` batches at a
 * set pace, and each with the real JobRunner (signature check, resumable download over the
 * chunk stream, install into A/B slots in a per-device temp dir; the health check always passes:
 * no model runs here). Talks to the parent over IPC: init → ready, go → sent, then jobs are
 * handled as they come until 'stop'; 'jobs' at any time → what each device was told of (job ids
 * and notifies per rollout), to count devices given a job twice.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceCredentials } from '../cloud/fleet/devices.js';
import { SyncClient } from '../device/sync/client.js';
import { JobRunner } from '../device/sync/jobs.js';
import { InstallSlots } from '../device/sync/slots.js';
import { DeviceState } from '../device/sync/state.js';

export interface WorkerInit {
  readonly type: 'init';
  readonly broker: string;
  readonly devices: readonly DeviceCredentials[];
  /** PEM of the release public key. */
  readonly trust: string;
  readonly dataDir: string;
}

export interface WorkerGo {
  readonly type: 'go';
  readonly seconds: number;
  /** Batches per second per device. */
  readonly rate: number;
  readonly records: number;
}

export type WorkerReply =
  | { readonly type: 'ready'; readonly connectMs: number }
  /** Per rollout: devices told of more than one job id, and `jobs/notify` messages received. */
  | {
      readonly type: 'jobs';
      readonly rollouts: Record<string, { devices: number; twice: number; notifies: number }>;
    }
  | { readonly type: 'sent'; readonly sent: number; readonly acked: number; readonly failed: number };

interface SimDevice {
  readonly client: SyncClient;
  readonly jobs: JobRunner;
  seq: number;
  /** rollout id → job ids this device was notified of, and how many notifies came. */
  readonly told: Map<string, { ids: Set<string>; notifies: number }>;
}

const send = (m: WorkerReply) => process.send!(m);

function simDevice(init: WorkerInit, creds: DeviceCredentials): SimDevice {
  const dataDir = join(init.dataDir, creds.id);
  mkdirSync(dataDir, { recursive: true });
  const quiet = () => {};
  const client = new SyncClient({
    credentials: creds,
    broker: init.broker,
    // simulated devices connect all at once; the embedded broker checks 500 scrypt hashes first
    connectTimeoutMs: 120_000,
    reconnectPeriodMs: 2000,
    keepaliveS: 120,
    birth: () => ({
      runtime: { name: 'liquidkan-bench', version: '0', engine: 'none' },
      profile: 'pi4',
      libraryVersion: null,
      modelVersion: null,
      boot: 1,
      at: new Date().toISOString(),
    }),
    log: quiet,
  });
  const jobs = new JobRunner({
    dataDir,
    profile: 'pi4',
    trust: [init.trust],
    transport: client,
    slots: {
      library: new InstallSlots(join(dataDir, 'library')),
      model: new InstallSlots(join(dataDir, 'model')),
    },
    state: new DeviceState(dataDir),
    healthCheck: () => () => ({ ok: true, reason: 'benchmark: no model runs' }),
    chunkTimeoutMs: 20_000,
    progressIntervalMs: 1000,
    log: quiet,
  });
  const told = new Map<string, { ids: Set<string>; notifies: number }>();
  client.on('notify', (n) => {
    if (!n.cancelled) {
      const t = told.get(n.rolloutId) ?? { ids: new Set<string>(), notifies: 0 };
      t.ids.add(n.jobId);
      t.notifies++;
      told.set(n.rolloutId, t);
    }
    jobs.handleNotify(n);
  });
  client.start();
  return { client, jobs, seq: 0, told };
}

async function run(init: WorkerInit): Promise<void> {
  const t0 = Date.now();
  const devices = init.devices.map((c) => simDevice(init, c));
  process.on('message', (m: { type: string }) => {
    if (m.type !== 'jobs') return;
    const rollouts: Record<string, { devices: number; twice: number; notifies: number }> = {};
    for (const d of devices) {
      for (const [id, t] of d.told) {
        const r = (rollouts[id] ??= { devices: 0, twice: 0, notifies: 0 });
        r.devices++;
        if (t.ids.size > 1) r.twice++;
        r.notifies += t.notifies;
      }
    }
    send({ type: 'jobs', rollouts });
  });
  while (!devices.every((d) => d.client.connected)) await new Promise((r) => setTimeout(r, 50));
  send({ type: 'ready', connectMs: Date.now() - t0 });

  const go = await new Promise<WorkerGo>((resolve) =>
    process.on('message', (m: { type: string }) => {
      if (m.type === 'go') resolve(m as WorkerGo);
    }),
  );
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const pending: Promise<void>[] = [];
  const periodMs = 1000 / go.rate;
  const end = Date.now() + go.seconds * 1000;
  // Devices tick in turn, spread over one period, so the offered load is steady, not bursts.
  const tick = (d: SimDevice) => {
    if (Date.now() >= end) return;
    const t = Date.now();
    const records = Array.from({ length: go.records }, (_, i) => ({
      t,
      p50Us: 100 + i,
      p99Us: 250 + i,
      steps: 10,
    }));
    const payload = JSON.stringify({ stream: 'bench', seq: d.seq++, records });
    sent++;
    pending.push(
      d.client.publish('tel/perf', payload).then(
        () => {
          acked++;
        },
        () => {
          failed++;
        },
      ),
    );
    if (pending.length > 10_000) pending.splice(0, 5000);
    setTimeout(() => tick(d), periodMs);
  };
  for (const [i, d] of devices.entries()) setTimeout(() => tick(d), (i / devices.length) * periodMs);
  await new Promise((r) => setTimeout(r, go.seconds * 1000 + periodMs));
  const deadline = Date.now() + 30_000;
  while (acked + failed < sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  send({ type: 'sent', sent, acked, failed });

  await new Promise<void>((resolve) =>
    process.on('message', (m: { type: string }) => {
      if (m.type === 'stop') resolve();
    }),
  );
  await Promise.all(devices.map((d) => d.jobs.stop(0).catch(() => {})));
  await Promise.all(devices.map((d) => d.client.stop().catch(() => {})));
  process.exit(0);
}

/** Entry point when bench.js is started with --fleet-worker. */
export async function fleetWorker(): Promise<void> {
  const init = await new Promise<WorkerInit>((resolve) =>
    process.once('message', (m: WorkerInit) => resolve(m)),
  );
  await run(init);
}
