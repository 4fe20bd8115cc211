/**
 * The hunger loop of cloud processes sharing PostgreSQL (cloud/fleet/scale/queued-discovery.ts),
 * against a throwaway cluster: persistent hunger queues one discovery job instead of running it
 * on the leader, even when two leaders evaluate at once; a leader that stops waiting leaves the
 * cycle open, and the next one finishes it, without queueing again, once `liquidkan worker
 * --kind discovery` has run the job; the new library version lands in the store.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetEvents } from '../../../../cloud/fleet/events.js';
import { type HungerPolicy, startHungerPolicy } from '../../../../cloud/fleet/loop/index.js';
import { queuedDiscovery } from '../../../../cloud/fleet/scale/queued-discovery.js';
import { type RunningCluster, startCluster } from '../../../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore, type PostgresStore } from '../../../../cloud/fleet/store/postgres/index.js';
import { PgOpenCycles, pgLoopStores } from '../../../../cloud/fleet/store/postgres/loop.js';
import { WorkQueue } from '../../../../cloud/fleet/store/postgres/queue.js';
import { Rng } from '../../../../shared/numeric/rng.js';
import { buildCliOnce, runCli, tempDir } from '../../../cli/cli-harness.js';
import { TOOLS } from '../../../helpers/system-tools.js';
import { waitFor } from '../helpers.js';

const T0 = 1_700_000_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(TOOLS.postgres())('discovery queued by the leader (PostgreSQL)', () => {
  let cluster: RunningCluster;
  let url: string;
  let store: PostgresStore;
  let dir: string;
  const clock = { now: T0 };
  const logs: string[] = [];
  const policies: HungerPolicy[] = [];

  /** A leader's hunger loop on the shared store (what startSharedCloud starts on election). */
  function leader(name: string): HungerPolicy {
    const p = startHungerPolicy({
      dataDir: `${dir}/${name}`,
      events: new FleetEvents(() => {}),
      stores: pgLoopStores(store.pool, () => clock.now),
      runner: queuedDiscovery({ pool: store.pool, pollMs: 50, log: (l) => logs.push(`${name}: ${l}`) }),
      thresholds: { windowMs: 60_000, minHungryRecords: 4, minDevices: 2, cooldownMs: 600_000 },
      discovery: { steps: 10, timeoutMs: 60_000 },
      seed: 7,
      intervalMs: 0,
      debounceMs: 60_000,
      log: (l) => logs.push(`${name}: ${l}`),
      now: () => clock.now,
    });
    policies.push(p);
    return p;
  }

  beforeAll(async () => {
    await buildCliOnce();
    dir = tempDir('queued-discovery');
    cluster = await startCluster({ fast: true });
    url = await cluster.createDatabase('loop');
    store = await openPostgresStore({ url, poolSize: 6, now: () => clock.now });
    // two devices of fleet f1 hungry on layer 0 for |u|, which no classic entry is
    for (const [device, count] of [
      ['dev-a', 3],
      ['dev-b', 2],
    ] as const) {
      const rng = new Rng(1).fork(device);
      const records = Array.from({ length: count }, () => {
        const u = Array.from({ length: 64 }, () => rng.uniform(-2, 2));
        return { layer: 0, entropy: 0.8, gap: 0.3, hungry: true, samples: { u, phi: u.map(Math.abs) } };
      });
      await store.telemetry.insertBatch('hunger', { fleet: 'f1', device, stream: 'i-b1', seq: 0 }, records);
    }
    clock.now = T0 + 1000;
  }, 120_000);
  afterAll(async () => {
    for (const p of policies) await p.close();
    await store?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues one job for the hunger, even with two leaders evaluating at once, and runs nothing itself', async () => {
    const queue = new WorkQueue(store.pool);
    const a = leader('a');
    const b = leader('b');
    const [ra, rb] = [a.evaluate(), b.evaluate()];
    const until = Date.now() + 20_000;
    while ((await queue.list('discovery')).length === 0 && Date.now() < until) await sleep(20);
    // both have looked: one waits on the job it queued, the other on that one or on nothing
    await waitFor('both leaders to wait', () => logs.filter((l) => l.includes('waiting for')).length >= 1);
    await sleep(300);
    const jobs = await queue.list('discovery');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: 'queued', attempts: 0 });
    expect(jobs[0]!.payload).toMatchObject({ library: 'classic', seed: 7, steps: 10 });
    const open = await new PgOpenCycles(store.pool).list();
    expect(open).toMatchObject([{ id: 'c1', fleet: 'f1', layer: 0, workId: jobs[0]!.id }]);
    // both leaders step down (killed or deposed): the waiting one stops without a record
    await a.close();
    await b.close();
    expect(await ra).toEqual([]);
    expect(await rb).toEqual([]);
    expect(await store.pool.query('SELECT 1 FROM loop_cycles')).toMatchObject({ rowCount: 0 });
  });

  it('a new leader finishes the open cycle with the worker’s library, without queueing again', async () => {
    const queue = new WorkQueue(store.pool);
    const c = leader('c');
    const evaluation = c.evaluate();
    await waitFor('c to wait on the job', () =>
      logs.some((l) => l.startsWith('c: waiting for discovery job')),
    );
    const worker = await runCli(['worker', '--store', url, '--id', 'w', '--max-jobs', '1', '--json'], dir);
    expect(worker.code, worker.stderr).toBe(0);
    expect(JSON.parse(worker.stdout)).toEqual({ done: 1 });

    const [rec] = await evaluation;
    expect(rec).toMatchObject({
      id: 'c1',
      fleet: 'f1',
      layer: 0,
      job: `work_queue ${(await queue.list('discovery'))[0]!.id}`,
      parent: { version: 1 },
      library: { version: 2, dir: 'loop_libraries v2' },
      outcome: 'installed',
      published: false,
      release: null,
      error: null,
    });
    expect(rec!.trigger).toMatchObject({ hungryRecords: 5, devices: ['dev-a', 'dev-b'] });
    expect(rec!.discovery!.added.length).toBeGreaterThan(0);
    expect(rec!.discovery!.added[0]!.hungerDistance).toBeLessThan(0.05);

    // the library is the store's current one, the cycle is in the history, nothing is left open
    const stores = pgLoopStores(store.pool);
    expect((await stores.libraries.current())?.version).toBe(2);
    expect((await stores.history.read()).map((r) => r.id)).toEqual(['c1']);
    expect(await new PgOpenCycles(store.pool).list()).toEqual([]);
    expect(c.status().currentLibrary).toEqual({ version: 2, dir: 'loop_libraries v2' });

    // the same hunger, evaluated again (and by another leader), is handled: no second job
    expect(await c.evaluate()).toEqual([]);
    expect(await leader('d').evaluate()).toEqual([]);
    expect(await queue.list('discovery')).toHaveLength(1);
  }, 120_000);
});
