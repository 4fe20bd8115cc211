/**
 * Issue 16, item 5: a device whose data directory was reset named its outbox stream after the
 * boot counter again (`b1`), so its batches collided with the (stream, seq) keys of its first
 * install and 26 of 31 acknowledged batches were discarded as duplicates without a log line.
 * Against the real embedded broker and telemetry ingest:
 * - each install has its own random id in the device state, and its streams carry it, so the
 *   reset device's batches are all stored;
 * - a batch that does reuse a stored key with other records (a device still on `b{boot}`
 *   names) is stored apart, logged and counted; a true resend stays a silent duplicate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceState } from '../../../../device/sync/state.js';
import { FLEET, type Fleet, startFleet, topic, waitFor } from '../helpers.js';

let fleet: Fleet;
const dirs: string[] = [];
beforeAll(async () => {
  fleet = await startFleet();
});
afterAll(async () => {
  await fleet.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const freshDataDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'liquidkan-reset-'));
  dirs.push(d);
  return d;
};
const perf = (i: number) => [{ t: i, p50Us: 10 + i, p99Us: 20 + i }];

describe('a device whose data directory is reset', () => {
  it('names its streams per install, so every batch of the new install is stored', async () => {
    const { client } = await fleet.device('reset');
    const dev = { fleet: FLEET, device: 'reset' };
    const first = new DeviceState(freshDataDir());
    first.nextBoot();
    const again = new DeviceState(first.dataDir);
    expect(again.install).toBe(first.install);
    for (let seq = 0; seq < 31; seq++) {
      const batch = { stream: first.stream, seq, records: perf(seq) };
      await client.publishAsync(topic('reset', 'tel/perf'), JSON.stringify(batch), { qos: 1 });
    }
    await waitFor('the first install', () => fleet.store.count('perf', dev) === 31);
    // the reset: a new data directory, boot 1 again
    const reset = new DeviceState(freshDataDir());
    reset.nextBoot();
    expect(reset.boot).toBe(first.boot);
    expect(reset.stream).not.toBe(first.stream);
    expect(reset.stream).toMatch(/^[0-9a-f]{16}-b1$/);
    for (let seq = 0; seq < 31; seq++) {
      const batch = { stream: reset.stream, seq, records: perf(100 + seq) };
      await client.publishAsync(topic('reset', 'tel/perf'), JSON.stringify(batch), { qos: 1 });
    }
    await waitFor('the reset install', () => fleet.store.count('perf', dev) === 62);
    expect(fleet.store.conflicts(dev)).toBe(0);
  });

  it('stores a colliding batch apart, with a log line and a count; a resend stays a duplicate', async () => {
    const { client } = await fleet.device('collide');
    const dev = { fleet: FLEET, device: 'collide' };
    const send = (records: unknown[]) =>
      client.publishAsync(topic('collide', 'tel/perf'), JSON.stringify({ stream: 'b1', seq: 0, records }), {
        qos: 1,
      });
    const outcomes = () =>
      fleet.handled.filter((h) => h.topic === topic('collide', 'tel/perf')).map((h) => h.outcome.result);
    await send(perf(1));
    await send(perf(1)); // the outbox resending an unacknowledged batch
    await send(perf(2)); // another install's batch with the same key
    await send(perf(2)); // ... resent
    await waitFor('four batches handled', () => outcomes().length === 4);
    expect(outcomes()).toEqual(['stored', 'duplicate', 'conflict', 'duplicate']);
    expect(fleet.store.count('perf', dev)).toBe(2);
    expect(fleet.store.conflicts(dev)).toBe(1);
    expect(fleet.store.records('perf', dev).map((r) => r.stream)).toEqual([
      'b1',
      expect.stringMatching(/^b1~[0-9a-f]{12}$/),
    ]);
    expect(
      fleet.logs.filter((l) => /reuses a \(stream, seq\) already stored with other records/.test(l)),
    ).toHaveLength(1);
  });
});
