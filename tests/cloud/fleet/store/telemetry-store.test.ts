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
      } finally {
        await s.close();
      }
    });

    it.skipIf(backend.name === 'sqlite')(
      'keys batches by install: a reset device reusing (stream, seq) is stored (SQLite gains the install key with issue 16)',
      async () => {
        const s = await backend.open();
        try {
          const key = { ...dev, stream: 'boot-1', seq: 0 };
          expect(await s.telemetry.insertBatch('perf', { ...key, install: 'a' }, [perf(1)])).toBe('stored');
          expect(await s.telemetry.insertBatch('perf', { ...key, install: 'b' }, [perf(1)])).toBe('stored');
          expect(await s.telemetry.insertBatch('perf', { ...key, install: 'b' }, [perf(1)])).toBe(
            'duplicate',
          );
          expect(await s.telemetry.count('perf')).toBe(2);
        } finally {
          await s.close();
        }
      },
    );

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
