/**
 * `npm run bench -- --only fleet-scale [--scale-devices 500] [--scale-seconds 20]
 * [--scale-rate 3000] [--scale-processes 1,2,4] [--scale-connections 4] [--scale-session-expiry 300]`:
 * several `liquidkan cloud --store postgres://… --broker mqtt://…` processes (real CLI processes)
 * against Debian's mosquitto and a throwaway PostgreSQL cluster (durable defaults: fsync on),
 * with simulated devices in child processes (bench-fleet-worker.ts) sending QoS 1 `tel/perf`.
 *
 *   scaling   for each process count: batches stored per second (the ledger's received times),
 *             end-to-end p50/p99 (record `t` at publish to received_ms), acknowledged batches
 *             not stored (0 expected), and the CPU time each part used (what saturates first).
 *   flush     one process again with synchronous_commit = off: is the WAL flush the bound?
 *   kill      two processes; the leader is SIGKILLed half way and restarted at once (as systemd
 *             would, under the same instance name, so its broker sessions come back): leader
 *             takeover time, acknowledged batches lost, and how long until the stored rate is
 *             back at 90% of what it was before the kill (its share picked up).
 *   rollout   two processes and a staged rollout (10/50/100%) of a signed ~100 kB model to every
 *             device (real device job runners: signature, chunked download served by either
 *             process from PostgreSQL, A/B install); the leader is SIGKILLed once stage 1 is
 *             issued and restarted at once: whether the rollout completes, devices told of
 *             more than one job (0 expected), takeover time, and the time until the new leader
 *             issued its first stage.
 * `--scale-runs scaling,kill,rollout` picks the runs (all by default).
 * Each run starts from nothing left by the one before: its own database, and at its end its
 * device workers and clouds are stopped (killed after a grace period) and the clouds' broker
 * sessions ended, so no process or shared-group member of one run takes the next run's batches;
 * `teardown` says per run what had to be killed or ended (all 0 when every process closed).
 *
 * All on one machine: the device simulators, mosquitto, PostgreSQL and the clouds share its cores,
 * so the figures are ratios of one run, not capacity planning.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IConnackPacket } from 'mqtt';
import pg from 'pg';
import { MosquittoFiles } from '../cloud/fleet/broker/mosquitto.js';
import {
  haveMosquitto,
  type RunningMosquitto,
  startMosquitto,
} from '../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../cloud/fleet/broker/operator.js';
import {
  postgresSkipReason,
  type RunningCluster,
  startCluster,
} from '../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore } from '../cloud/fleet/store/postgres/index.js';
import { openDatabase } from '../cloud/fleet/telemetry/sqlite.js';
import { generateKeys } from '../shared/release/keys.js';
import { encodeReleaseFile } from '../shared/release/release-file.js';
import { provisioned, quantile, releaseOf100kB, startWorker, type Worker } from './bench-fleet.js';
import type { WorkerGo, WorkerReply } from './bench-fleet-worker.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const o = {
  devices: Number(flag('scale-devices', '500')),
  seconds: Number(flag('scale-seconds', '20')),
  rate: Number(flag('scale-rate', '3000')),
  processes: flag('scale-processes', '1,2,4').split(',').map(Number),
  connections: Number(flag('scale-connections', '16')),
  sessionExpiryS: Number(flag('scale-session-expiry', '300')),
  runs: flag('scale-runs', 'scaling,kill,rollout').split(','),
  workers: 2,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const progress = (line: string) => process.stderr.write(`fleet-scale: ${line}\n`);

interface CloudProc {
  readonly child: ChildProcess;
  readonly instance: string;
  readonly exited: Promise<void>;
  /** Its JSON line: where its API is. */
  readonly httpUrl: string;
  /** The last 4000 characters it wrote to stderr. */
  stderr(): string;
}

function cliPath(): string {
  return join(process.argv[1]!, '..', '..', '..', 'bin', 'liquidkan.js');
}

/** Starts `liquidkan cloud --store …` and waits for its JSON line (it is ready then). */
async function startCloudProc(
  dataDir: string,
  store: string,
  broker: string,
  instance: string,
): Promise<CloudProc> {
  const child = spawn(
    process.execPath,
    [
      cliPath(),
      'cloud',
      '--data',
      dataDir,
      '--store',
      store,
      '--broker',
      broker,
      '--instance',
      instance,
      '--ingest-connections',
      String(o.connections),
      '--session-expiry',
      String(o.sessionExpiryS),
      '--http-port',
      '0',
      '--host',
      '127.0.0.1',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let err = '';
  // LK_BENCH_CLOUD_LOGS=DIR keeps each cloud's log lines in DIR/{instance}.log (diagnosis)
  const logDir = process.env['LK_BENCH_CLOUD_LOGS'];
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
    if (logDir) appendFileSync(join(logDir, `${instance}.log`), d);
  });
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`cloud ${instance} exited with ${code}: ${err}`)));
  });
  return {
    child,
    instance,
    exited,
    httpUrl: (JSON.parse(line) as { httpUrl: string }).httpUrl,
    stderr: () => err,
  };
}

/** SIGTERM, then SIGKILL after 15 s; whether it had to be killed. */
async function stopCloud(c: CloudProc): Promise<boolean> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return false;
  c.child.kill('SIGTERM');
  const done = await Promise.race([c.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (done) return false;
  c.child.kill('SIGKILL');
  await c.exited;
  return true;
}

/**
 * Ends the MQTT sessions a run's clouds may have left on the broker (a cloud killed, or one whose
 * close did not finish, keeps its ingest sessions for --session-expiry): each would stay a member
 * of the shared group, and the broker would park its turn of the next run's batches in it.
 * Connects as each of their client ids (resuming the session if there is one), then disconnects
 * with Session Expiry 0. Returns how many sessions were still there.
 */
async function endSessions(s: Setup, instances: readonly string[]): Promise<number> {
  const operator = loadOrCreateOperator(s.dataDir);
  const ids = instances.flatMap((instance) => [
    ...Array.from({ length: o.connections }, (_, i) => `lk-cloud-${instance}-${i}`),
    `lk-cloud-${instance}-releases`,
  ]);
  let present = 0;
  for (const clientId of ids) {
    const client = mqtt.connect(s.mosquitto.operatorUrl, {
      clientId,
      username: operator.username,
      password: operator.password,
      protocolVersion: 5,
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 0 },
    });
    const connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    if (connack.sessionPresent) present++;
    await client.endAsync(true);
  }
  return present;
}

/** What a run left behind when it ended (each of these would skew the next run). */
interface Teardown {
  readonly run: string;
  /** Cloud processes that did not exit within 15 s of SIGTERM (then killed). */
  readonly clouds_killed: number;
  /** Device simulator processes that did not exit within 10 s of 'stop' (then killed). */
  readonly device_workers_killed: number;
  /** The clouds' broker sessions still there after they stopped (then ended). */
  readonly sessions_left: number;
}
const teardowns: Teardown[] = [];

/** Stops a run's devices and clouds and ends their broker sessions, so none outlives the run. */
async function endRun(s: Setup, run: string, workers: Worker[], clouds: readonly CloudProc[]): Promise<void> {
  const workersKilled = await stopDevices(workers);
  let cloudsKilled = 0;
  for (const c of clouds) if (await stopCloud(c)) cloudsKilled++;
  const left = await endSessions(
    s,
    clouds.map((c) => c.instance),
  );
  teardowns.push({
    run,
    clouds_killed: cloudsKilled,
    device_workers_killed: workersKilled,
    sessions_left: left,
  });
  if (cloudsKilled + workersKilled + left > 0)
    progress(
      `${run}: left behind ${cloudsKilled} cloud(s) and ${workersKilled} device worker(s) (killed), ${left} broker session(s) (ended)`,
    );
}

interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in s: its own CPU and that of its reaped children. */
  readonly cpuS: number;
}

function procs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
      out.push({ pid: Number(name), comm, ppid: Number(f[1]), cpuS: ticks / 100 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds used so far by what this benchmark started, by part: the cloud processes, the
 * device simulators, mosquitto, and PostgreSQL (the postmaster and its backends).
 */
function cpuByPart(clouds: readonly CloudProc[], devices: readonly Worker[]): Record<string, number> {
  const all = procs();
  const mine = all.filter((p) => p.ppid === process.pid);
  const postmaster = mine.filter((p) => p.comm === 'postgres').map((p) => p.pid);
  const pidsOf = new Set(clouds.map((c) => c.child.pid));
  const devicePids = new Set(devices.map((d) => d.pid));
  const total = (ps: ProcStat[]) => +ps.reduce((a, p) => a + p.cpuS, 0).toFixed(1);
  return {
    clouds: total(all.filter((p) => pidsOf.has(p.pid))),
    devices: total(all.filter((p) => devicePids.has(p.pid))),
    mosquitto: total(mine.filter((p) => p.comm === 'mosquitto')),
    postgres: total(all.filter((p) => postmaster.includes(p.pid) || postmaster.includes(p.ppid))),
  };
}

function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, +(v - (b[k] ?? 0)).toFixed(1)]));
}

async function sum(db: pg.Client, sql: string): Promise<Record<string, number>> {
  return (await db.query(sql)).rows[0] as Record<string, number>;
}

interface Setup {
  cluster: RunningCluster;
  mosquitto: RunningMosquitto;
  dataDir: string;
  creds: ReturnType<typeof provisioned>['creds'];
  sqliteDir: string;
}

async function freshStore(s: Setup, name: string): Promise<string> {
  const url = await s.cluster.createDatabase(name);
  const store = await openPostgresStore({ url, poolSize: 1 });
  // the devices of the cached SQLite registry, copied (their scrypt hashes made once)
  const reg = openDatabase(join(s.sqliteDir, 'devices.db'));
  const rows = reg.prepare('SELECT fleet, id, username, pass_hash, created_ms FROM devices').all() as {
    fleet: string;
    id: string;
    username: string;
    pass_hash: string;
    created_ms: number;
  }[];
  reg.close();
  await store.pool.query(
    `INSERT INTO devices (fleet, id, username, pass_hash, created_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
    [
      rows.map((r) => r.fleet),
      rows.map((r) => r.id),
      rows.map((r) => r.username),
      rows.map((r) => r.pass_hash),
      rows.map((r) => r.created_ms),
    ],
  );
  await store.close();
  return url;
}

async function startDevices(s: Setup, trustPem?: string): Promise<Worker[]> {
  const { publicKey } = generateKeyPairSync('ed25519');
  const per = Math.ceil(o.devices / o.workers);
  const workers: Worker[] = [];
  for (let w = 0; w < o.workers; w++) {
    const worker = startWorker();
    worker.send({
      type: 'init',
      broker: s.mosquitto.url,
      devices: s.creds.slice(w * per, (w + 1) * per),
      trust: trustPem ?? publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      dataDir: join(s.dataDir, 'devices'),
    });
    workers.push(worker);
  }
  for (const w of workers) await w.next('ready');
  return workers;
}

/** Asks the device workers to stop; kills those still there after 10 s; how many it killed. */
async function stopDevices(workers: Worker[]): Promise<number> {
  for (const w of workers) w.send({ type: 'stop' });
  const gone = workers.map(() => false);
  await Promise.race([
    Promise.all(workers.map((w, i) => w.exited.then(() => (gone[i] = true)))),
    sleep(10_000),
  ]);
  let killed = 0;
  for (const [i, w] of workers.entries()) {
    if (gone[i]) continue;
    w.kill();
    await w.exited;
    killed++;
  }
  return killed;
}

/** Offers the load for o.seconds; the devices' counts of sent and broker-acknowledged batches. */
async function offer(workers: Worker[]): Promise<{ sent: number; acked: number }> {
  const go: WorkerGo = { type: 'go', seconds: o.seconds, rate: o.rate / o.devices, records: 1 };
  for (const w of workers) w.send(go);
  const replies = (await Promise.all(workers.map((w) => w.next('sent')))) as Extract<
    WorkerReply,
    { type: 'sent' }
  >[];
  return { sent: replies.reduce((a, r) => a + r.sent, 0), acked: replies.reduce((a, r) => a + r.acked, 0) };
}

/** Waits until every acknowledged batch is stored, or nothing new was stored for 10 s, or `ms`. */
async function drain(db: pg.Client, acked: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let n = 0;
  let changedMs = Date.now();
  while (Date.now() < end && Date.now() - changedMs < 10_000) {
    const now = (await sum(db, "SELECT count(*)::int AS n FROM tel_batches WHERE kind = 'perf'"))['n']!;
    if (now !== n) changedMs = Date.now();
    n = now;
    if (n >= acked) break;
    await sleep(200);
  }
  return n;
}

async function measured(db: pg.Client) {
  const span = await sum(
    db,
    "SELECT min(received_ms)::float8 AS a, max(received_ms)::float8 AS b, count(*)::int AS n FROM tel_batches WHERE kind = 'perf'",
  );
  const lat = Float64Array.from(
    (await db.query<{ d: number }>('SELECT (received_ms - t_ms)::float8 AS d FROM tel_perf')).rows.map(
      (r) => r.d,
    ),
  ).sort();
  const seconds = Math.max(1e-3, (span['b']! - span['a']!) / 1000);
  return {
    stored: span['n']!,
    stored_per_s: Math.round(span['n']! / seconds),
    latency_ms: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: quantile(lat, 1) },
  };
}

/**
 * One run with `processes` clouds. `asyncCommit`: the database set to synchronous_commit = off
 * (a commit returns before its WAL is flushed), to see side by side whether waiting for the
 * flush is what bounds ingest.
 */
async function scalingRun(
  s: Setup,
  processes: number,
  asyncCommit = false,
): Promise<Record<string, unknown>> {
  const name = `scale_${processes}${asyncCommit ? '_async' : ''}`;
  const url = await freshStore(s, name);
  if (asyncCommit) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
    await admin.end();
  }
  const clouds: CloudProc[] = [];
  for (let i = 0; i < processes; i++)
    clouds.push(
      await startCloudProc(
        s.dataDir,
        url,
        s.mosquitto.operatorUrl,
        `${asyncCommit ? 'a' : 'p'}${processes}-c${i}`,
      ),
    );
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const workers = await startDevices(s);
  try {
    const cpu0 = cpuByPart(clouds, workers);
    const t0 = Date.now();
    const { sent, acked } = await offer(workers);
    const stored = await drain(db, acked, 180_000);
    const wallS = (Date.now() - t0) / 1000;
    const cpu = minus(cpuByPart(clouds, workers), cpu0);
    const m = await measured(db);
    return {
      processes,
      ...(asyncCommit ? { synchronous_commit: 'off' } : {}),
      sent,
      acked,
      lost: acked - stored,
      ...m,
      // CPU seconds per part over the run, and as cores busy on average (2 cores here)
      cpu_s: cpu,
      cores_busy: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, +(v / wallS).toFixed(2)])),
    };
  } finally {
    await endRun(s, name, workers, clouds);
    await db.end();
  }
}

/** Stored batches per 250 ms bucket of received time, from the first to the last. */
async function timeline(db: pg.Client): Promise<{ startMs: number; buckets: number[] }> {
  const rows = (
    await db.query<{ b: number; n: number }>(
      "SELECT (received_ms / 250)::float8 AS b, count(*)::int AS n FROM tel_batches WHERE kind = 'perf' GROUP BY 1 ORDER BY 1",
    )
  ).rows;
  if (rows.length === 0) return { startMs: 0, buckets: [] };
  const first = rows[0]!.b;
  const buckets = new Array<number>(rows.at(-1)!.b - first + 1).fill(0);
  for (const r of rows) buckets[r.b - first] = r.n;
  return { startMs: first * 250, buckets };
}

async function killRun(s: Setup): Promise<Record<string, unknown>> {
  const url = await freshStore(s, 'kill');
  const clouds = [
    await startCloudProc(s.dataDir, url, s.mosquitto.operatorUrl, 'k0'),
    await startCloudProc(s.dataDir, url, s.mosquitto.operatorUrl, 'k1'),
  ];
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const workers = await startDevices(s);
  try {
    const offered = offer(workers);
    await sleep((o.seconds * 1000) / 2);
    // the leader is the one killed: its share of ingest and the leadership both move
    const leaderName = async () =>
      (
        await db.query<{ name: string }>(
          `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'liquidkan-leader %'`,
        )
      ).rows[0]?.name.replace('liquidkan-leader ', '') ?? null;
    const leader = await leaderName();
    const victim = clouds.findIndex((c) => c.instance === leader);
    const killed = victim >= 0 ? victim : 1;
    const killedAtMs = Date.now();
    clouds[killed]!.child.kill('SIGKILL');
    let newLeader: string | null = null;
    while (Date.now() - killedAtMs < 15_000) {
      newLeader = await leaderName();
      if (newLeader && newLeader !== leader) break;
      await sleep(20);
    }
    const takeoverMs = Date.now() - killedAtMs;
    await clouds[killed]!.exited;
    // restarted at once under the same instance name, as a supervisor (systemd) would: its MQTT
    // sessions, and the messages the broker kept for them, come back
    const restartedAtMs = Date.now();
    clouds[killed] = await startCloudProc(s.dataDir, url, s.mosquitto.operatorUrl, clouds[killed]!.instance);
    const restartMs = Date.now() - restartedAtMs;
    const { sent, acked } = await offered;
    const stored = await drain(db, acked, 180_000);
    const { startMs, buckets } = await timeline(db);
    const killBucket = Math.floor((killedAtMs - startMs) / 250);
    const before = buckets.slice(Math.max(0, killBucket - 8), killBucket);
    const baseline = before.reduce((a, b) => a + b, 0) / Math.max(1, before.length);
    let recovered = -1;
    for (let b = killBucket; b < buckets.length; b++) {
      if (buckets[b]! >= 0.9 * baseline) {
        recovered = b;
        break;
      }
    }
    return {
      sent,
      acked,
      stored,
      lost: acked - stored,
      killed: { instance: clouds[killed]!.instance, was_leader: victim >= 0 },
      leader_takeover_ms: newLeader && newLeader !== leader ? takeoverMs : null,
      new_leader: newLeader,
      restart_ms: restartMs,
      pickup_ms: recovered < 0 ? null : Math.max(0, (recovered + 1) * 250 + startMs - killedAtMs),
      rate_before_kill_per_s: Math.round(baseline * 4),
    };
  } finally {
    await endRun(s, 'kill', workers, clouds);
    await db.end();
  }
}

/** The advisory lock's holder (leader.ts names its session `liquidkan-leader {instance}`). */
async function leaderOf(db: pg.Client): Promise<string | null> {
  return (
    (
      await db.query<{ name: string }>(
        `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'liquidkan-leader %'`,
      )
    ).rows[0]?.name.replace('liquidkan-leader ', '') ?? null
  );
}

async function api(
  cloud: { httpUrl: string },
  token: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${cloud.httpUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body instanceof Uint8Array ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function rolloutKillRun(s: Setup): Promise<Record<string, unknown>> {
  const url = await freshStore(s, 'rollout');
  const keys = generateKeys();
  const release = releaseOf100kB(join(s.dataDir, 'rollout-bundle'), keys.privateKey);
  const clouds = [
    await startCloudProc(s.dataDir, url, s.mosquitto.operatorUrl, 'r0'),
    await startCloudProc(s.dataDir, url, s.mosquitto.operatorUrl, 'r1'),
  ];
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const workers = await startDevices(s, keys.publicKey);
  const token = readFileSync(join(s.dataDir, 'operator.token'), 'utf8').trim();
  try {
    const target = clouds[0]!;
    const stored = (await api(target, token, '/api/releases', encodeReleaseFile(release))) as {
      release: { id: string };
    };
    const t0 = Date.now();
    const started = (await api(target, token, '/api/rollouts', {
      release: stored.release.id,
      fleet: 'bench',
      stages: [10, 50, 100],
    })) as { rollout: { id: string; targets: string[] } };
    const id = started.rollout.id;
    progress(`rollout ${id} over ${started.rollout.targets.length} devices`);
    const rollout = async () =>
      (
        await db.query<{ state: string; stage: number }>('SELECT state, stage FROM rollouts WHERE id = $1', [
          id,
        ])
      ).rows[0]!;
    while ((await rollout()).stage < 1) {
      if (Date.now() - t0 > 180_000) {
        throw new Error(
          `stage 1 not issued in 180 s; the clouds said: ${clouds.map((c) => c.stderr().slice(-1500)).join('\n---\n')}`,
        );
      }
      await sleep(20);
    }
    const leader = await leaderOf(db);
    const victim = Math.max(
      0,
      clouds.findIndex((c) => c.instance === leader),
    );
    const atKill = await rollout();
    progress(`stage ${atKill.stage} issued after ${Date.now() - t0} ms; SIGKILL the leader ${leader}`);
    const killedAtMs = Date.now();
    clouds[victim]!.child.kill('SIGKILL');
    let newLeader: string | null = null;
    while (Date.now() - killedAtMs < 15_000) {
      newLeader = await leaderOf(db);
      if (newLeader && newLeader !== leader) break;
      await sleep(20);
    }
    const takeoverMs = Date.now() - killedAtMs;
    await clouds[victim]!.exited;
    // restarted at once under the same name, as a supervisor would (its broker sessions return)
    clouds[victim] = await startCloudProc(s.dataDir, url, s.mosquitto.operatorUrl, clouds[victim]!.instance);
    let final = await rollout();
    const limitMs = Number(flag('scale-rollout-limit', '300')) * 1000;
    while (final.state === 'running' && Date.now() - t0 < limitMs) {
      await sleep(100);
      final = await rollout();
    }
    const doneMs = Date.now() - t0;
    // a rollout that did not finish says where it stands: its jobs by stage and state, and the clouds' logs
    const stuck =
      final.state === 'running'
        ? {
            jobs: (
              await db.query(
                'SELECT stage, state, count(*)::int AS n FROM jobs WHERE rollout = $1 GROUP BY 1, 2 ORDER BY 1, 2',
                [id],
              )
            ).rows,
            logs: clouds.map((c) => c.stderr().slice(-2000)),
          }
        : null;
    progress(`rollout ${final.state} after ${doneMs} ms`);
    const perDevice = (
      await db.query<Record<string, number | null>>(
        `SELECT count(*)::int AS jobs, count(DISTINCT device)::int AS devices,
                count(*) FILTER (WHERE state = 'succeeded')::int AS succeeded,
                min(issued_ms) FILTER (WHERE issued_ms > $2)::float8 AS first_after_kill,
                count(*) FILTER (WHERE issued_ms > $2)::int AS issued_after_kill
         FROM jobs WHERE rollout = $1`,
        [id, killedAtMs],
      )
    ).rows[0]!;
    // per stage, relative to the kill: when its jobs were issued and when the last one finished
    const stages = (
      await db.query<{ stage: number; issued: number; finished: number }>(
        `SELECT stage, (min(issued_ms) - $2)::float8 AS issued, (max(updated_ms) - $2)::float8 AS finished
         FROM jobs WHERE rollout = $1 GROUP BY stage ORDER BY stage`,
        [id, killedAtMs],
      )
    ).rows;
    for (const w of workers) w.send({ type: 'jobs' });
    const told = (await Promise.all(workers.map((w) => w.next('jobs')))) as Extract<
      WorkerReply,
      { type: 'jobs' }
    >[];
    const seen = told.map((t) => t.rollouts[id] ?? { devices: 0, twice: 0, notifies: 0 });
    return {
      devices: started.rollout.targets.length,
      stages: [10, 50, 100],
      payload_bytes: release.payload.length,
      stage_at_kill: atKill.stage,
      state_at_kill: atKill.state,
      killed: { instance: clouds[victim]!.instance, was_leader: leader === clouds[victim]!.instance },
      leader_takeover_ms: newLeader && newLeader !== leader ? takeoverMs : null,
      new_leader: newLeader,
      first_stage_by_new_leader_ms:
        perDevice['first_after_kill'] === null ? null : perDevice['first_after_kill']! - killedAtMs,
      stages_ms_after_kill: stages,
      ...(stuck ? { stuck } : {}),
      state: final.state,
      rollout_ms: doneMs,
      jobs: perDevice['jobs'],
      devices_with_a_job: perDevice['devices'],
      succeeded: perDevice['succeeded'],
      jobs_issued_after_kill: perDevice['issued_after_kill'],
      devices_told_of_a_job: seen.reduce((a, t) => a + t.devices, 0),
      devices_told_of_two_jobs: seen.reduce((a, t) => a + t.twice, 0),
      notifies_received: seen.reduce((a, t) => a + t.notifies, 0),
    };
  } finally {
    for (const w of workers) w.send({ type: 'go', seconds: 0, rate: 1, records: 1 });
    await Promise.race([Promise.all(workers.map((w) => w.next('sent'))), sleep(10_000)]);
    await endRun(s, 'rollout', workers, clouds);
    await db.end();
  }
}

export async function benchFleetScale(): Promise<Record<string, unknown>> {
  if (!haveMosquitto) return { skipped: 'no /usr/sbin/mosquitto' };
  if (postgresSkipReason) return { skipped: postgresSkipReason };
  const cached = provisioned(o.devices);
  const dataDir = mkdtempSync(join(tmpdir(), 'lk-bench-scale-'));
  const cluster = await startCluster({ maxConnections: 300 });
  const files = new MosquittoFiles(MosquittoFiles.dirFor(dataDir)).setOperator(loadOrCreateOperator(dataDir));
  files.addDevices(cached.creds);
  const mosquitto = await startMosquitto(files, { logTypes: ['error', 'warning'] });
  const s: Setup = { cluster, mosquitto, dataDir, creds: cached.creds, sqliteDir: cached.dir };
  // the machine is shared: its load says how much of it the run had
  const result: Record<string, unknown> = { options: o, loadavg_start: loadavg().map((l) => +l.toFixed(1)) };
  try {
    if (o.runs.includes('scaling')) {
      const runs: Record<string, unknown>[] = [];
      for (const p of o.processes) runs.push(await scalingRun(s, p));
      result['scaling'] = runs;
      const one = runs.find((r) => r['processes'] === 1);
      const two = runs.find((r) => r['processes'] === 2);
      if (one && two)
        result['scaling_1_to_2'] = +(
          (two['stored_per_s'] as number) / (one['stored_per_s'] as number)
        ).toFixed(2);
      if (one) {
        // the same single process with commits not waiting for the WAL flush: a ratio near 1
        // means fsync is not what bounds ingest (CPU is)
        const unflushed = await scalingRun(s, 1, true);
        result['one_process_without_commit_flush'] = unflushed;
        result['commit_flush_ratio'] = +(
          (unflushed['stored_per_s'] as number) / (one['stored_per_s'] as number)
        ).toFixed(2);
      }
    }
    if (o.runs.includes('kill')) result['kill_one_of_two'] = await killRun(s);
    if (o.runs.includes('rollout')) result['rollout_leader_killed'] = await rolloutKillRun(s);
    result['loadavg_end'] = loadavg().map((l) => +l.toFixed(1));
    result['teardown'] = teardowns;
  } finally {
    await mosquitto.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return result;
}
