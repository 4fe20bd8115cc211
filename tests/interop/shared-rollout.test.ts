/**
 * A staged rollout that survives its leader (cloud/fleet/releases/rollouts.ts, "Once per job,
 * across leaders"): two `liquidkan cloud --store postgres://… --broker mqtt://…` processes
 * against Debian's mosquitto and a throwaway PostgreSQL, 12 simulated devices that fetch a
 * chunk of the release (from whichever process the broker picks) and report success.
 *
 * The rollout starts in the state a leader leaves when it dies between committing a stage and
 * publishing it (stage 0's jobs are in the database, no device was told); the first leader's
 * takeover delivers them. Mid-rollout the leader is SIGKILLed; the other process takes over and
 * completes the rollout. Each device gets exactly one job (one job id, however many times its
 * retained notify is sent again).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoFiles } from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../../cloud/fleet/broker/operator.js';
import type { DeviceCredentials } from '../../cloud/fleet/devices.js';
import { newId } from '../../cloud/fleet/releases/rollouts.js';
import { type RunningCluster, startCluster } from '../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore } from '../../cloud/fleet/store/postgres/index.js';
import { decodeChunkFrame, verifyChunk } from '../../shared/release/chunks.js';
import { buildCliOnce } from '../cli/cli-harness.js';
import { type CloudProcess, startCloudProcess } from '../cloud/fleet/http/cloud-process.js';
import { connectDevice, libraryRelease, type SimDevice } from '../cloud/fleet/releases/helpers.js';
import { TOOLS } from '../helpers/system-tools.js';

const skip = TOOLS.mosquitto() ?? TOOLS.postgres();
const FLEET = 'plant';
const DEVICES = 12;
const ids = Array.from({ length: DEVICES }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
const release = libraryRelease(7, 256);
const manifest = release.envelope.manifest;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Devices finish no job before both clouds run (the kill must find the rollout in progress). */
let bothRunning = false;

/**
 * A device that, for each new job, fetches chunk 0 (asking again if no answer comes: the
 * process that had the request may have died), checks it against the signed manifest, and
 * reports success after `workMs`.
 */
function autoRespond(d: SimDevice, workMs: number, jobIds: Set<string>, log: string[]): () => void {
  let stopped = false;
  let seen = 0;
  const timer = setInterval(() => {
    for (; seen < d.notifies.length; seen++) {
      const n = d.notifies[seen]!;
      if (n.cancelled || jobIds.has(n.jobId)) continue;
      jobIds.add(n.jobId);
      void (async () => {
        await d.update(n.jobId, 'accepted', { rolloutId: n.rolloutId });
        let frame: Buffer | null = null;
        while (!frame && !stopped) {
          frame = await d.requestWithin(n.streamId, { chunk: 0 }, 2000);
        }
        if (!frame) return;
        const chunk = decodeChunkFrame(frame);
        verifyChunk(manifest, 0, chunk.bytes);
        await new Promise((r) => setTimeout(r, workMs));
        await until('both clouds running', () => bothRunning || stopped, 120_000);
        await d.update(n.jobId, 'succeeded', { rolloutId: n.rolloutId });
      })().catch((err: Error) => log.push(`${d.id}: ${err.message}`));
    }
  }, 10);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

describe.skipIf(skip !== null)(
  'a staged rollout whose leader is killed (two clouds, mosquitto, PostgreSQL)',
  () => {
    let dir: string;
    let cluster: RunningCluster;
    let broker: RunningMosquitto;
    let url: string;
    let db: pg.Client;
    let rolloutId: string;
    let seeded: string[];
    const devices: SimDevice[] = [];
    const jobIds = new Map<string, Set<string>>();
    const stops: (() => void)[] = [];
    const errors: string[] = [];
    const clouds = new Map<string, CloudProcess>();

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'lk-shared-rollout-'));
      const built = buildCliOnce();
      cluster = await startCluster({ fast: true });
      url = await cluster.createDatabase('rollout');
      const admin = await openPostgresStore({ url, poolSize: 2 });
      const creds: DeviceCredentials[] = [];
      try {
        for (const id of ids) creds.push(await admin.registry.addDevice({ fleet: FLEET, id }));
        await admin.payloads.write(manifest.sha256, release.payload, {}, manifest.chunkBytes);
        const stored = (
          await admin.releases.insertRelease(manifest, release.envelope.signature, false, Date.now())
        ).release;
        rolloutId = newId('ro');
        const now = Date.now();
        const r = {
          id: rolloutId,
          release: stored.id,
          kind: stored.kind,
          version: stored.version,
          fleet: FLEET,
          stages: [25, 50, 75, 100],
          abortFailureRate: 0.2,
          allowDowngrade: false,
          state: 'running' as const,
          stage: -1,
          targets: ids,
          reason: null,
          createdMs: now,
          updatedMs: now,
        };
        await admin.releases.insertRollout(r);
        // a leader that died right after committing stage 0, before publishing any of it
        const issued = await admin.releases.issueStage(r, 0, ids.slice(0, 3), stored, now, () =>
          newId('job'),
        );
        seeded = issued!.map((i) => i.job.jobId);
      } finally {
        await admin.close();
      }
      broker = await startMosquitto(
        new MosquittoFiles(MosquittoFiles.dirFor(dir))
          .setOperator(loadOrCreateOperator(dir))
          .addDevices(creds),
      );
      for (const c of creds) {
        const d = await connectDevice(broker.url, c);
        devices.push(d);
        const set = new Set<string>();
        jobIds.set(c.id, set);
        stops.push(autoRespond(d, 400, set, errors));
      }
      db = new pg.Client({ connectionString: url });
      await db.connect();
      await built;
      for (const instance of ['ra', 'rb']) {
        // --session-expiry 0: a killed process's broker sessions end with it, so the job updates
        // and chunk requests of the shared group go to the process that is left
        const extra = ['--store', url, '--broker', broker.operatorUrl, '--instance', instance];
        clouds.set(
          instance,
          await startCloudProcess(dir, [...extra, '--ingest-connections', '1', '--session-expiry', '0']),
        );
      }
      bothRunning = true;
    }, 120_000);

    afterAll(async () => {
      for (const stop of stops) stop();
      await Promise.all(devices.map((d) => d.close()));
      for (const c of clouds.values()) await c.stop();
      await db?.end();
      await broker?.stop();
      await cluster?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const leader = async (): Promise<string | null> =>
      (
        await db.query<{ name: string }>(
          `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'liquidkan-leader %'`,
        )
      ).rows[0]?.name.replace('liquidkan-leader ', '') ?? null;
    const rollout = async () =>
      (
        await db.query<{ state: string; stage: number }>('SELECT state, stage FROM rollouts WHERE id = $1', [
          rolloutId,
        ])
      ).rows[0]!;

    it('completes after its leader is SIGKILLed mid-rollout, and no device gets its job twice', async () => {
      // the first leader's takeover delivered the stage a dead leader had committed and not sent
      await until('the seeded jobs delivered', () =>
        ids.slice(0, 3).every((id, i) => jobIds.get(id)!.has(seeded[i]!)),
      );
      await until('stage 1 issued', async () => (await rollout()).stage >= 1);
      const victim = (await leader())!;
      expect(clouds.has(victim)).toBe(true);
      const survivor = [...clouds.keys()].find((k) => k !== victim)!;
      const atKill = await rollout();
      const killedAtMs = Date.now();
      clouds.get(victim)!.child.kill('SIGKILL');
      expect(atKill.state).toBe('running');
      expect(atKill.stage).toBeLessThan(3);

      await until('the survivor leads', async () => (await leader()) === survivor, 10_000);
      const takeoverMs = Date.now() - killedAtMs;
      // a loaded machine stretches this; 60 s leaves room. A timeout says where each job stood.
      await until('the rollout completed', async () => (await rollout()).state === 'completed', 60_000).catch(
        async (err: Error) => {
          const states = (
            await db.query<{ device: string; state: string }>(
              'SELECT device, state FROM jobs WHERE rollout = $1 ORDER BY device',
              [rolloutId],
            )
          ).rows.map((j) => `${j.device} ${j.state}`);
          const logs = [...clouds].map(([k, c]) => `${k}${k === victim ? ' (killed)' : ''}: ${c.stderr()}`);
          throw new Error(
            `${err.message}; rollout ${JSON.stringify(await rollout())}, jobs: ${states.join(', ')}; ${logs.join('\n')}`,
          );
        },
      );

      const jobs = (
        await db.query<{ device: string; job_id: string; state: string; issued_ms: number }>(
          'SELECT device, job_id, state, issued_ms FROM jobs WHERE rollout = $1 ORDER BY device',
          [rolloutId],
        )
      ).rows;
      expect(jobs.map((j) => j.device)).toEqual(ids);
      expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);
      // later stages were issued by the process that took over
      expect(jobs.filter((j) => j.issued_ms > killedAtMs).length).toBeGreaterThan(0);
      // each device was told of exactly one job, the one the database holds for it
      for (const j of jobs) expect([...jobIds.get(j.device)!]).toEqual([j.job_id]);
      for (const d of devices) {
        expect(new Set(d.notifies.filter((n) => n.rolloutId === rolloutId).map((n) => n.jobId)).size).toBe(1);
      }
      expect(errors).toEqual([]);
      // the bound leader.ts states for a killed leader: its poll (1 s) and a round trip
      expect(takeoverMs).toBeLessThan(5000);
      // the API of the survivor agrees
      const viewer = readFileSync(clouds.get(survivor)!.viewerTokenFile, 'utf8').trim();
      const res = await fetch(`${clouds.get(survivor)!.httpUrl}/api/rollouts/${rolloutId}`, {
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect(((await res.json()) as { rollout: { state: string; counts: unknown } }).rollout).toMatchObject({
        state: 'completed',
        counts: { succeeded: DEVICES },
      });
      // a loaded machine (2 cores shared with other suites) stretches the cluster and the clouds
    }, 150_000);
  },
);
