/**
 * Telemetry through the outbox: nothing is lost to a broker outage or to a device killed while
 * the broker is down; batches are replayed in order, each (stream, seq) made once by the device,
 * and the cloud's store holds every batch exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceAgent } from '../../../device/sync/agent.js';
import { FLEET, type SyncFleet, sleep, startSyncFleet, waitFor } from './fleet.js';
import { baseModel, Feed, PI4, writeModelBundle } from './models.js';

let fleet: SyncFleet;
let work: string;
let bundle: string;

beforeAll(async () => {
  fleet = await startSyncFleet({ telemetry: true });
  work = mkdtempSync(join(tmpdir(), 'liquidkan-telemetry-'));
  bundle = writeModelBundle(join(work, 'v1'), baseModel());
});
afterAll(async () => {
  await fleet.close();
  rmSync(work, { recursive: true, force: true });
});

function startAgent(id: string, creds: ReturnType<SyncFleet['provision']>, intervalMs: number) {
  const feed = new Feed().start();
  const agent = new DeviceAgent({
    dataDir: join(work, id),
    credentials: creds,
    trust: [fleet.keys.publicKey],
    run: {
      model: bundle,
      profile: PI4,
      input: '-',
      stdin: feed.stream,
      format: 'jsonl',
      threads: 1,
      latencyCheck: false,
      emit: null,
      log: () => {},
    },
    telemetryIntervalMs: intervalMs,
    client: { reconnectPeriodMs: 100 },
    log: () => {},
  });
  agent.start();
  return { agent, feed, done: agent.run() };
}

/**
 * Per stream: the seqs in the order the broker received them from the device (first arrivals
 * only; what the device sent), how many came twice, the streams' order and the installs seen.
 * Streams are `{install}-b{boot}` (device/sync/state.ts); keyed here by `b{boot}`.
 */
function arrivals(device: string) {
  const byStream = new Map<string, number[]>();
  const installs = new Set<string>();
  let duplicates = 0;
  const order: string[] = [];
  for (const t of fleet.received.filter((x) => x.device === device && x.kind === 'tel/perf')) {
    const [, install = '', boot = t.stream] = /^([0-9a-f]{16})-(b\d+)$/.exec(t.stream) ?? [];
    installs.add(install);
    const seen = byStream.get(boot) ?? [];
    if (seen.includes(t.seq)) duplicates++;
    else {
      seen.push(t.seq);
      order.push(boot);
    }
    byStream.set(boot, seen);
  }
  return { byStream, duplicates, order, installs };
}

/** The (stream, seq) pairs a subscriber of the cloud (the release server) got, distinct. */
function delivered(device: string): Set<string> {
  return new Set(
    fleet.server.telemetry
      .filter((x) => x.device === device && x.kind === 'tel/perf')
      .map((x) => `${x.stream}/${x.seq}`),
  );
}

/** Every batch the device sent, as (stream, seq) pairs. */
function sent(device: string): Set<string> {
  return new Set(
    fleet.received
      .filter((x) => x.device === device && x.kind === 'tel/perf')
      .map((x) => `${x.stream}/${x.seq}`),
  );
}

const contiguous = (seqs: number[]) => seqs.every((s, i) => s === i);

describe('telemetry outbox', () => {
  it('loses nothing to a broker outage and replays in order', async () => {
    const creds = fleet.provision('t-outage');
    const r = startAgent('t-outage', creds, 250);
    const stored = () => arrivals('t-outage').byStream.get('b1')?.length ?? 0;
    await waitFor('three windows', () => stored() >= 3);
    // right after a batch arrives, so none is in flight when the broker goes
    const n = stored();
    await waitFor('the next window', () => stored() > n);
    await fleet.restartBroker(1200);
    await waitFor('batches after the outage', () => stored() >= n + 8, 20_000);
    r.feed.end();
    await r.done;
    await r.agent.close();
    expect(r.agent.outbox.size.batches).toBe(0);
    const a = arrivals('t-outage');
    const seqs = a.byStream.get('b1')!;
    expect(contiguous(seqs)).toBe(true);
    // a batch in flight when the broker went is sent again (at least once); the store keeps one
    expect(a.duplicates).toBeLessThanOrEqual(1);
    await waitFor(
      'every batch at the subscriber',
      () => delivered('t-outage').size === sent('t-outage').size,
    );
    expect([...delivered('t-outage')].sort()).toEqual([...sent('t-outage')].sort());
    const key = { fleet: FLEET, device: 't-outage' };
    await waitFor('all stored', () => fleet.store!.count('perf', key) === seqs.length);
  });

  it('replays what a device killed during an outage left, before anything newer', async () => {
    const creds = fleet.provision('t-kill');
    const first = startAgent('t-kill', creds, 100);
    const stored = () => arrivals('t-kill').byStream.get('b1')?.length ?? 0;
    await waitFor('two windows', () => stored() >= 2);
    const n = stored();
    await waitFor('the next window', () => stored() > n);
    await fleet.stopBroker();
    await sleep(600); // windows pile up in the outbox
    const pending = first.agent.outbox.size.batches;
    expect(pending).toBeGreaterThan(2);
    first.agent.kill();
    first.feed.end();
    await first.done;
    await fleet.startBroker();
    const second = startAgent('t-kill', creds, 100);
    await waitFor(
      'the old stream complete and the new one started',
      () => {
        const a = arrivals('t-kill');
        return (a.byStream.get('b1')?.length ?? 0) >= stored() && (a.byStream.get('b2')?.length ?? 0) >= 2;
      },
      20_000,
    );
    second.feed.end();
    await second.done;
    await second.agent.close();
    const a = arrivals('t-kill');
    expect(contiguous(a.byStream.get('b1')!)).toBe(true);
    expect(a.byStream.get('b1')!.length).toBeGreaterThanOrEqual(n + 1 + pending);
    expect(contiguous(a.byStream.get('b2')!)).toBe(true);
    // every b1 batch arrived before the first b2 one
    expect(a.order.indexOf('b2')).toBe(a.order.lastIndexOf('b1') + 1);
    // one install: a restart keeps its id (a reset data directory would not)
    expect(a.installs.size).toBe(1);
    // at least once: a batch the dying broker took without acknowledging comes again
    expect(a.duplicates).toBeLessThanOrEqual(1);
    await waitFor('every batch at the subscriber', () => delivered('t-kill').size === sent('t-kill').size);
    const key = { fleet: FLEET, device: 't-kill' };
    const total = a.byStream.get('b1')!.length + a.byStream.get('b2')!.length;
    await waitFor('all stored once', () => fleet.store!.count('perf', key) === total);
  });
});
