/**
 * `npm run bench -- --only fleet [--fleet-devices 500] [--fleet-seconds 60] [--fleet-rate 12000]
 * [--fleet-records 1] [--fleet-workers 2] [--fleet-broker embedded,mosquitto]`: the real cloud
 * (startCloud) with simulated devices, each on its own MQTT connection, in child processes
 * (bench-fleet-worker.ts), against the embedded broker and against Debian's mosquitto.
 *
 *   telemetry  `--fleet-rate` QoS 1 `tel/perf` batches per second in all, spread evenly over the
 *              devices, for `--fleet-seconds`: batches stored per second (the store's received
 *              times), end-to-end latency p50/p99 (each record's `t`, the device's Date.now() at
 *              publish, to the store's received_ms; one machine, one clock), and batches lost
 *              (sent minus stored; 0 expected at QoS 1).
 *   release    a 100 KB model release rolled out to every device at once (stages [100]); each
 *              runs the real JobRunner: time until the cloud has heard `succeeded` from all.
 *
 * Provisioning 500 devices costs 500 scrypt hashes (~25 s); the registry and the credentials are
 * made once into `{tmpdir}/liquidkan-bench-fleet-{N}` and copied into each run's data dir (bench
 * only: a real fleet provisions with `liquidkan devices add`).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MosquittoFiles } from '../cloud/fleet/broker/mosquitto.js';
import {
  haveMosquitto,
  type RunningMosquitto,
  startMosquitto,
} from '../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../cloud/fleet/broker/operator.js';
import { type DeviceCredentials, DeviceRegistry } from '../cloud/fleet/devices.js';
import { startCloud } from '../cloud/fleet/service.js';
import { openDatabase } from '../cloud/fleet/telemetry/sqlite.js';
import { exportModel, writeBundle } from '../shared/export/export.js';
import { classicLibrary } from '../shared/library/library.js';
import { initModel } from '../shared/model/init.js';
import { loadProfile } from '../shared/profiles.js';
import { createRelease } from '../shared/release/create.js';
import { generateKeys } from '../shared/release/keys.js';
import { encodeReleaseFile } from '../shared/release/release-file.js';
import type { WorkerGo, WorkerInit, WorkerReply } from './bench-fleet-worker.js';

const FLEET = 'bench';

interface FleetBenchOptions {
  devices: number;
  seconds: number;
  rate: number;
  records: number;
  workers: number;
  brokers: ('embedded' | 'mosquitto')[];
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

function options(): FleetBenchOptions {
  const brokers = flag('fleet-broker', 'embedded,mosquitto')
    .split(',')
    .filter((b): b is 'embedded' | 'mosquitto' => b === 'embedded' || b === 'mosquitto');
  return {
    devices: Number(flag('fleet-devices', '500')),
    seconds: Number(flag('fleet-seconds', '60')),
    rate: Number(flag('fleet-rate', '12000')),
    records: Number(flag('fleet-records', '1')),
    workers: Number(flag('fleet-workers', '2')),
    brokers,
  };
}

/** The registry and plaintext credentials of N devices, made once and cached (see the header). */
export function provisioned(n: number): { dir: string; creds: DeviceCredentials[]; provisionMs: number } {
  const dir = join(tmpdir(), `liquidkan-bench-fleet-${n}`);
  const file = join(dir, 'credentials.json');
  if (existsSync(file)) return { dir, creds: JSON.parse(readFileSync(file, 'utf8')), provisionMs: 0 };
  rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const registry = DeviceRegistry.open(dir);
  const creds: DeviceCredentials[] = [];
  for (let i = 0; i < n; i++) creds.push(registry.addDevice({ fleet: FLEET, id: `d-${i}` }));
  registry.close();
  writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  return { dir, creds, provisionMs: Date.now() - t0 };
}

/** A model release of about 100 KB: a small bundle plus incompressible padding. */
export function releaseOf100kB(dir: string, key: string) {
  const model = initModel({
    library: classicLibrary(),
    inputs: 8,
    hidden: 16,
    outputs: 1,
    seed: 1,
    activation: 'tanh',
  });
  writeBundle(dir, exportModel(model, { profile: loadProfile('pi4'), quant: 'fp32' }));
  const bundle = createRelease({ kind: 'model', dir, key, version: 'probe' }).payload.length;
  writeFileSync(join(dir, 'padding.bin'), randomBytes(Math.max(0, 100 * 1024 - bundle - 512)));
  return createRelease({ kind: 'model', dir, key, version: 'bench-100k' });
}

export function quantile(sorted: Float64Array, p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export interface Worker {
  readonly pid: number | undefined;
  send(m: WorkerInit | WorkerGo | { type: 'stop' } | { type: 'jobs' }): void;
  next(type: WorkerReply['type']): Promise<WorkerReply>;
  exited: Promise<void>;
  /** SIGKILL (a worker that did not stop in time must not outlive its run). */
  kill(): void;
}

export function startWorker(): Worker {
  const child = fork(process.argv[1]!, ['--fleet-worker'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const inbox: WorkerReply[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (m: WorkerReply) => {
    inbox.push(m);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid,
    send: (m) => child.send(m),
    async next(type) {
      for (;;) {
        const i = inbox.findIndex((m) => m.type === type);
        if (i >= 0) return inbox.splice(i, 1)[0]!;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    exited,
    kill: () => child.kill('SIGKILL'),
  };
}

async function runOne(
  kind: 'embedded' | 'mosquitto',
  o: FleetBenchOptions,
): Promise<Record<string, unknown>> {
  const cached = provisioned(o.devices);
  const dataDir = mkdtempSync(join(tmpdir(), `liquidkan-bench-${kind}-`));
  copyFileSync(join(cached.dir, 'devices.db'), join(dataDir, 'devices.db'));
  let mosquitto: RunningMosquitto | null = null;
  let cloudLogLines = 0;
  const workers: Worker[] = [];
  try {
    if (kind === 'mosquitto') {
      const files = new MosquittoFiles(MosquittoFiles.dirFor(dataDir)).setOperator(
        loadOrCreateOperator(dataDir),
      );
      files.addDevices(cached.creds);
      mosquitto = await startMosquitto(files, { logTypes: ['error', 'warning'] });
    }
    const cloud = await startCloud({
      dataDir,
      broker: mosquitto ? mosquitto.operatorUrl : 'embedded',
      mqttPort: 0,
      httpPort: 0,
      host: '127.0.0.1',
      rolloutCheckMs: 1000,
      log: () => {
        cloudLogLines++;
      },
    });
    try {
      const keys = generateKeys();
      const per = Math.ceil(o.devices / o.workers);
      const t0 = Date.now();
      for (let w = 0; w < o.workers; w++) {
        const devices = cached.creds.slice(w * per, (w + 1) * per);
        if (devices.length === 0) break;
        const worker = startWorker();
        worker.send({
          type: 'init',
          broker: mosquitto ? mosquitto.url : cloud.brokerUrl,
          devices,
          trust: keys.publicKey,
          dataDir: join(dataDir, 'devices'),
        });
        workers.push(worker);
      }
      for (const w of workers) await w.next('ready');
      const connectMs = Date.now() - t0;
      const online = () => cloud.registry.listDevices().filter((d) => d.online).length;
      while (online() < o.devices && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));

      // Telemetry
      const go: WorkerGo = { type: 'go', seconds: o.seconds, rate: o.rate / o.devices, records: o.records };
      for (const w of workers) w.send(go);
      const sentReplies = (await Promise.all(workers.map((w) => w.next('sent')))) as Extract<
        WorkerReply,
        { type: 'sent' }
      >[];
      const sent = sentReplies.reduce((a, r) => a + r.sent, 0);
      const acked = sentReplies.reduce((a, r) => a + r.acked, 0);
      const db = openDatabase(cloud.store.path);
      const storedBatches = () =>
        (db.prepare("SELECT COUNT(*) AS n FROM tel_batches WHERE kind = 'perf'").get() as { n: number }).n;
      const drainStart = Date.now();
      while (storedBatches() < sent && Date.now() - drainStart < 30_000)
        await new Promise((r) => setTimeout(r, 100));
      const span = db
        .prepare(
          "SELECT MIN(received_ms) AS a, MAX(received_ms) AS b, COUNT(*) AS n FROM tel_batches WHERE kind = 'perf'",
        )
        .get() as { a: number; b: number; n: number };
      const lat = Float64Array.from(
        (db.prepare('SELECT received_ms - t_ms AS d FROM tel_perf').all() as { d: number }[]).map((r) => r.d),
      ).sort();
      const records = lat.length;
      db.close();
      const seconds = Math.max(1e-3, (span.b - span.a) / 1000);
      const telemetry = {
        devices: o.devices,
        seconds: o.seconds,
        offered_batches_per_s: o.rate,
        records_per_batch: o.records,
        sent,
        acked,
        stored: span.n,
        lost: sent - span.n,
        stored_per_s: Math.round(span.n / seconds),
        stored_records_per_s: Math.round(records / seconds),
        latency_ms: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: quantile(lat, 1) },
      };

      // Release to everyone
      const release = releaseOf100kB(join(dataDir, 'bundle'), keys.privateKey);
      const stored = (await cloud.releases.addRelease(encodeReleaseFile(release))).release;
      const r0 = Date.now();
      const rollout = await cloud.releases.startRollout({ release: stored.id, fleet: FLEET, stages: [100] });
      let counts = (await cloud.releases.getRollout(rollout.id)).rollout.counts;
      while (
        (counts.succeeded ?? 0) + (counts.failed ?? 0) + (counts.rejected ?? 0) < o.devices &&
        Date.now() - r0 < 180_000
      ) {
        await new Promise((r) => setTimeout(r, 100));
        counts = (await cloud.releases.getRollout(rollout.id)).rollout.counts;
      }
      const installMs = Date.now() - r0;
      const releaseResult = {
        payload_bytes: release.payload.length,
        chunk_bytes: release.envelope.manifest.chunkBytes,
        installed: counts.succeeded ?? 0,
        counts,
        all_installed_ms: (counts.succeeded ?? 0) === o.devices ? installMs : null,
      };
      return {
        broker: kind,
        connect_all_ms: connectMs,
        provision_ms: cached.provisionMs,
        telemetry,
        release: releaseResult,
        cloud_log_lines: cloudLogLines,
        targets: {
          stored_per_s_ge_10000: telemetry.stored_per_s >= 10_000,
          p99_le_250ms: telemetry.latency_ms.p99 <= 250,
          zero_lost: telemetry.lost === 0,
          all_installed_within_60s:
            releaseResult.all_installed_ms !== null && releaseResult.all_installed_ms <= 60_000,
        },
      };
    } finally {
      for (const w of workers) w.send({ type: 'stop' });
      await Promise.race([
        Promise.all(workers.map((w) => w.exited)),
        new Promise((r) => setTimeout(r, 10_000)),
      ]);
      await cloud.close();
    }
  } finally {
    await mosquitto?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchFleet(): Promise<Record<string, unknown>> {
  const o = options();
  const result: Record<string, unknown> = { options: o };
  for (const kind of o.brokers) {
    if (kind === 'mosquitto' && !haveMosquitto) {
      result[kind] = { skipped: 'no /usr/sbin/mosquitto' };
      continue;
    }
    mkdirSync(tmpdir(), { recursive: true });
    result[kind] = await runOne(kind, o);
  }
  return result;
}
