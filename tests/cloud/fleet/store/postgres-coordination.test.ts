/**
 * What several cloud processes coordinate through PostgreSQL (cloud/fleet/store/postgres):
 * the work queue (SKIP LOCKED claims, a dead worker's job retried after its lease), the leader's
 * advisory lock (one leader; another takes over when the leader's session ends), and the live
 * feed crossing processes as NOTIFY.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetEvent, FleetEvents } from '../../../../cloud/fleet/events.js';
import { type RunningCluster, startCluster } from '../../../../cloud/fleet/store/postgres/cluster.js';
import { bridgeEvents, fitPayload } from '../../../../cloud/fleet/store/postgres/events.js';
import { openPostgresStore, type PostgresStore } from '../../../../cloud/fleet/store/postgres/index.js';
import { competeForLeadership } from '../../../../cloud/fleet/store/postgres/leader.js';
import { WorkQueue } from '../../../../cloud/fleet/store/postgres/queue.js';
import { TOOLS } from '../../../helpers/system-tools.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(TOOLS.postgres())('coordination through PostgreSQL', () => {
  let cluster: RunningCluster;
  let store: PostgresStore;
  beforeAll(async () => {
    cluster = await startCluster({ fast: true });
    store = await openPostgresStore({ url: await cluster.createDatabase('coord') });
  });
  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
  });

  it('gives each queued job to one worker, and retries a job whose worker died once its lease runs out', async () => {
    const q = new WorkQueue(store.pool, { leaseMs: 400, maxAttempts: 2 });
    const a = await q.enqueue('discovery', { n: 1 });
    const b = await q.enqueue('discovery', { n: 2 });
    const [x, y] = await Promise.all([q.claim('discovery', 'w1'), q.claim('discovery', 'w2')]);
    expect(new Set([x?.id, y?.id])).toEqual(new Set([a, b]));
    expect(await q.claim('discovery', 'w3')).toBeNull();
    // w1 finishes; w2 dies (no heartbeat); w3 takes its job once the lease has run out
    const mine = x!.worker === 'w1' ? x! : y!;
    const lost = x!.worker === 'w1' ? y! : x!;
    expect(await q.complete(mine.id, 'w1', { ok: true })).toBe(true);
    await sleep(500);
    const retried = await q.claim('discovery', 'w3');
    expect(retried).toMatchObject({ id: lost.id, attempts: 2, worker: 'w3', payload: lost.payload });
    expect(await q.complete(lost.id, lost.worker!, {})).toBe(false); // the dead worker's late answer is refused
    expect(await q.heartbeat(lost.id, 'w3')).toBe(true);
    // w3 dies too: no tries left, so the job fails with the reason instead of running a third time
    await sleep(500);
    expect(await q.claim('discovery', 'w4')).toBeNull();
    expect(await q.get(lost.id)).toMatchObject({
      state: 'failed',
      error: expect.stringMatching(/stopped answering on each of 2 tries \(last: w3\)/),
    });
    expect(await q.get(mine.id)).toMatchObject({ state: 'done', result: { ok: true } });
    // a failed try is queued again while tries remain
    const c = await q.enqueue('discovery', {});
    await q.claim('discovery', 'w5');
    expect(await q.fail(c, 'w5', 'diverged')).toBe(true);
    expect(await q.get(c)).toMatchObject({ state: 'queued', attempts: 1, error: 'diverged' });
  });

  it('elects one leader; when its session ends another leads within the poll interval', async () => {
    const leading = new Set<string>();
    const deposed: string[] = [];
    const make = (name: string) =>
      competeForLeadership({
        url: store.url,
        key: 4242,
        pollMs: 100,
        onElected: () => {
          leading.add(name);
        },
        onDeposed: () => {
          leading.delete(name);
          deposed.push(name);
        },
      });
    const a = make('a');
    await until('a leads', () => a.isLeader);
    const b = make('b');
    await sleep(300);
    expect([...leading]).toEqual(['a']);
    expect(b.isLeader).toBe(false);
    // the leader's session ends as when its process is killed: the server frees the lock
    const admin = new pg.Client({ connectionString: store.url });
    await admin.connect();
    const t0 = Date.now();
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted",
    );
    await admin.end();
    await until('b leads', () => b.isLeader, 5000);
    const takeoverMs = Date.now() - t0;
    expect(takeoverMs).toBeLessThan(1000);
    await until('a steps down', () => deposed.includes('a'));
    expect([...leading]).toEqual(['b']);
    await a.close();
    await b.close();
  });

  it('carries events to every process through NOTIFY, slimming those too big for one', async () => {
    const here = new FleetEvents();
    const there = new FleetEvents();
    const seen: FleetEvent[] = [];
    there.subscribe((e) => seen.push(e));
    const a = await bridgeEvents({ url: store.url, pool: store.pool, events: here });
    const b = await bridgeEvents({ url: store.url, pool: store.pool, events: there });
    try {
      a.publish({ type: 'device', fleet: 'plant', device: 'pi-1' });
      const samples = Array.from({ length: 2000 }, (_, i) => i / 3);
      const big: FleetEvent = {
        type: 'telemetry',
        kind: 'hunger',
        fleet: 'plant',
        device: 'pi-1',
        records: [{ t: 1, layer: 0, entropy: 0.9, samples }],
      };
      a.publish(big);
      await until('both events', () => seen.length === 2);
      expect(seen[0]).toEqual({ type: 'device', fleet: 'plant', device: 'pi-1' });
      expect(seen[1]).toEqual({ ...big, records: [{ t: 1, layer: 0, entropy: 0.9 }] });
      expect(JSON.parse(fitPayload(big))).toEqual(seen[1]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
