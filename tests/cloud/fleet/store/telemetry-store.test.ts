/**
 * One suite for the telemetry store interface (cloud/fleet/store/types.ts), run against SQLite
 * and PostgreSQL: a batch is stored whole and once, reads come back oldest first, retention
 * deletes by received time.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './backends.js';

const perf = (t: number, p50Us = 100) => ({ t, p50Us, p99Us: 2 * p50Us, steps: 10 });
const dev = { fleet: 'plant', device: 'pi-1' };

for (const make of BACKENDS) {
  const backend = make();
  describe.skipIf(backend.skip !== null)(`telemetry store on ${backend.name}`, () => {
    afterAll(() => backend.stop());

    it('stores a batch whole once; the same (stream, seq) again is a duplicate and counts nothing', async () => {
      const s = await backend.open();
      try {
        const key = { ...dev, stream: 'boot-1', seq: 0 };
        expect(await s.telemetry.insertBatch('perf', key, [perf(1), perf(2), perf(3)])).toBe('stored');
        expect(await s.telemetry.insertBatch('perf', key, [perf(1), perf(2), perf(3)])).toBe('duplicate');
        expect(await s.telemetry.count('perf')).toBe(3);
        expect(await s.telemetry.insertBatch('perf', { ...key, seq: 1 }, [perf(4)])).toBe('stored');
        // the same (stream, seq) of another kind or another device is another batch
        expect(
          await s.telemetry.insertBatch('drift', key, [
            { step: 1, detector: 'ph', statistic: 1, threshold: 2 },
          ]),
        ).toBe('stored');
        expect(await s.telemetry.insertBatch('perf', { ...key, device: 'pi-2' }, [perf(5)])).toBe('stored');
        expect(await s.telemetry.count('perf')).toBe(5);
        expect(await s.telemetry.count('perf', dev)).toBe(4);
        expect(await s.telemetry.count('drift', dev)).toBe(1);
        // every kind has its table, the voice models' detections too
        const spotted = { t: 5, word: 'yes', audioS: 12.5, confidence: 0.9 };
        expect(await s.telemetry.insertBatch('detection', key, [spotted])).toBe('stored');
        expect((await s.telemetry.records('detection', dev)).map((r) => r.record)).toEqual([spotted]);
      } finally {
        await s.close();
      }
    });

    it('keys batches by install (in the stream name); a reused (stream, seq) with other records is a counted conflict, stored apart', async () => {
      const s = await backend.open();
      try {
        // a reset device with a new install id: its streams are new, so its seq 0 is stored
        expect(await s.telemetry.insertBatch('perf', { ...dev, stream: 'a-b1', seq: 0 }, [perf(1)])).toBe(
          'stored',
        );
        expect(await s.telemetry.insertBatch('perf', { ...dev, stream: 'b-b1', seq: 0 }, [perf(1)])).toBe(
          'stored',
        );
        expect(await s.telemetry.conflicts()).toBe(0);
        // an older device reusing a stored (stream, seq) with other records: kept, not a duplicate
        const key = { ...dev, stream: 'b-b1', seq: 0 };
        expect(await s.telemetry.insertBatch('perf', key, [perf(2)])).toBe('conflict');
        expect(await s.telemetry.conflicts()).toBe(1);
        expect(await s.telemetry.conflicts(dev)).toBe(1);
        expect(await s.telemetry.conflicts({ ...dev, device: 'pi-2' })).toBe(0);
        // its resend is a duplicate of what was stored apart; the original's resend one too
        expect(await s.telemetry.insertBatch('perf', key, [perf(2)])).toBe('duplicate');
        expect(await s.telemetry.insertBatch('perf', key, [perf(1)])).toBe('duplicate');
        expect(await s.telemetry.conflicts()).toBe(1);
        const all = await s.telemetry.records('perf', dev);
        expect(all.map((r) => r.record['t'])).toEqual([1, 1, 2]);
        expect(all[2]!.stream).toMatch(/^b-b1~[0-9a-f]{12}$/);
      } finally {
        await s.close();
      }
    });

    it('pages after a cursor in (received, stream, seq, idx) order', async () => {
      let clock = 1_000;
      const s = await backend.open({ now: () => clock });
      try {
        for (let seq = 0; seq < 3; seq++) {
          clock = 1_000 + seq;
          await s.telemetry.insertBatch('perf', { ...dev, stream: 's', seq }, [perf(seq), perf(seq + 10)]);
        }
        const first = await s.telemetry.query('perf', dev, { sinceMs: 0, limit: 4 });
        expect(first.map((r) => [r.seq, r.idx])).toEqual([
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
        ]);
        const last = first.at(-1)!;
        const next = await s.telemetry.query('perf', dev, { after: last, limit: 4 });
        expect(next.map((r) => [r.seq, r.idx])).toEqual([
          [2, 0],
          [2, 1],
        ]);
      } finally {
        await s.close();
      }
    });

    it('reads records as sent, oldest first; query gives the latest or those after a time', async () => {
      let clock = 1_000;
      const s = await backend.open({ now: () => clock });
      try {
        for (let seq = 0; seq < 5; seq++) {
          clock = 1_000 + seq * 10;
          await s.telemetry.insertBatch('perf', { ...dev, stream: 's', seq }, [
            perf(seq, 100 + seq),
            perf(seq, 200 + seq),
          ]);
        }
        const all = await s.telemetry.records('perf', dev);
        expect(all.map((r) => [r.seq, r.idx])).toEqual(
          [0, 1, 2, 3, 4].flatMap((q) => [
            [q, 0],
            [q, 1],
          ]),
        );
        expect(all[3]).toMatchObject({ ...dev, stream: 's', seq: 1, idx: 1, receivedMs: 1010, tMs: 1 });
        expect(all[3]!.record).toEqual(perf(1, 201));
        const latest = await s.telemetry.query('perf', dev, { limit: 3 });
        expect(latest.map((r) => [r.seq, r.idx])).toEqual([
          [3, 1],
          [4, 0],
          [4, 1],
        ]);
        const after = await s.telemetry.query('perf', dev, { sinceMs: 1020, limit: 3 });
        expect(after.map((r) => [r.seq, r.idx])).toEqual([
          [3, 0],
          [3, 1],
          [4, 0],
        ]);
        expect(await s.telemetry.query('perf', { ...dev, device: 'other' }, { limit: 10 })).toEqual([]);
      } finally {
        await s.close();
      }
    });

    it('prunes by received time: rows older than the retention go, and their batches may arrive again', async () => {
      const day = 86_400_000;
      let clock = 10 * day;
      const s = await backend.open({ now: () => clock, retentionDays: 2 });
      try {
        const old = { ...dev, stream: 's', seq: 0 };
        await s.telemetry.insertBatch('perf', old, [perf(1), perf(2)]);
        clock = 11 * day;
        await s.telemetry.insertBatch('perf', { ...old, seq: 1 }, [perf(3)]);
        clock = 12.5 * day;
        expect(await s.telemetry.prune()).toBe(2);
        expect((await s.telemetry.records('perf', dev)).map((r) => r.seq)).toEqual([1]);
        expect(await s.telemetry.insertBatch('perf', old, [perf(1)])).toBe('stored');
      } finally {
        await s.close();
      }
    });
  });
}
