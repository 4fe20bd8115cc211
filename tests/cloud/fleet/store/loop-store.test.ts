/**
 * One suite for the hunger loop's stores (cloud/fleet/store/types.ts LoopStores), run against
 * SQLite + files and PostgreSQL: the same hunger telemetry gives the same groups, fleet counts
 * and hungry rows in the same order (so the same discovery job); finished cycles come back in
 * order and a cycle recorded twice is kept once; library versions install, the newest is
 * current, and it comes back byte for byte.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { CycleRecord } from '../../../../cloud/fleet/loop/types.js';
import { classicLibrary, libraryToJson, makeLibrary } from '../../../../shared/library/library.js';
import { BACKENDS } from './backends.js';

const hunger = (layer: number, hungry: boolean, gap: number) => ({
  layer,
  entropy: 0.7,
  gap,
  hungry,
  samples: { u: [-1, 0, 1], phi: [1, 0, 1] },
});

function cycle(id: string, startedMs: number, outcome: CycleRecord['outcome']): CycleRecord {
  return {
    id,
    fleet: 'plant',
    layer: 0,
    startedMs,
    finishedMs: startedMs + 5,
    trigger: {
      hungryRecords: 4,
      devices: ['a', 'b'],
      firstMs: 1,
      lastMs: startedMs - 1,
      meanGap: 0.25,
      meanEntropy: 0.5,
      samples: 64,
    },
    job: null,
    parent: { version: 1, hash: 'ab'.repeat(32) },
    discovery: null,
    library: null,
    release: null,
    published: false,
    outcome,
    error: outcome === 'failed' ? { stage: 'discovery', message: 'ran past its time limit' } : null,
  };
}

for (const make of BACKENDS) {
  const backend = make();
  describe.skipIf(backend.skip !== null)(`hunger loop stores on ${backend.name}`, () => {
    afterAll(() => backend.stop());

    it('reads hunger across devices: groups, fleet devices and hungry rows in one total order', async () => {
      let clock = 0;
      const s = await backend.open({ now: () => clock });
      try {
        const put = async (
          fleet: string,
          device: string,
          seq: number,
          at: number,
          records: Record<string, unknown>[],
        ) => {
          clock = at;
          await s.telemetry.insertBatch('hunger', { fleet, device, stream: 'i1-b1', seq }, records);
        };
        await put('plant', 'pi-b', 0, 1000, [hunger(0, true, 0.3), hunger(0, true, 0.01)]);
        // hungry by its gap alone, and a record that is not hungry at all
        await put('plant', 'Pi-A', 0, 2000, [hunger(0, false, 0.3), hunger(0, false, 0.01)]);
        await put('plant', 'pi-b', 1, 3000, [hunger(1, true, 0.2)]);
        await put('yard', 'x', 0, 3000, [hunger(0, false, 0)]);
        await put('plant', 'pi-c', 0, 5000, [hunger(0, true, 0.3)]); // after the window
        const q = s.loop.hunger;

        expect(await q.groups(0, 4000, 0.05)).toEqual([
          { fleet: 'plant', layer: 0, records: 3, devices: 2, firstMs: 1000, lastMs: 2000 },
          { fleet: 'plant', layer: 1, records: 1, devices: 1, firstMs: 3000, lastMs: 3000 },
        ]);
        // a higher gap threshold: only what the devices called hungry themselves
        expect(await q.groups(0, 4000, 0.5)).toEqual([
          { fleet: 'plant', layer: 0, records: 2, devices: 1, firstMs: 1000, lastMs: 1000 },
          { fleet: 'plant', layer: 1, records: 1, devices: 1, firstMs: 3000, lastMs: 3000 },
        ]);
        expect(await q.groups(1000, 4000, 0.05, { fleet: 'plant', layer: 0 })).toEqual([
          { fleet: 'plant', layer: 0, records: 1, devices: 1, firstMs: 2000, lastMs: 2000 },
        ]);
        expect(await q.groups(0, 4000, 0.05, { fleet: 'yard', layer: 0 })).toEqual([]);
        expect(await q.fleetDevices(0, 4000)).toEqual(
          new Map([
            ['plant', 2],
            ['yard', 1],
          ]),
        );

        const rows = await q.hungryRows('plant', 0, 0, 4000, 0.05, 10);
        expect(rows.map((r) => [r.device, r.receivedMs, r.record['gap']])).toEqual([
          ['Pi-A', 2000, 0.3],
          ['pi-b', 1000, 0.3],
          ['pi-b', 1000, 0.01],
        ]);
        expect(rows[0]!.record).toEqual(hunger(0, false, 0.3));
        expect(await q.hungryRows('plant', 0, 0, 4000, 0.05, 2)).toEqual(rows.slice(0, 2));
        expect(await q.hungryRows('plant', 0, 0, 6000, 0.05, 1)).toMatchObject([{ device: 'pi-c' }]);
      } finally {
        await s.close();
      }
    });

    it('keeps finished cycles in order; a cycle recorded twice (two leaders) is kept once', async () => {
      const s = await backend.open();
      try {
        const h = s.loop.history;
        expect(await h.read()).toEqual([]);
        const c1 = cycle('c1', 10_000, 'failed');
        const c2 = cycle('c2', 20_000, 'installed');
        await h.append(c1);
        await h.append(c2);
        await h.append({ ...c1, outcome: 'released', error: null });
        expect(await h.read()).toEqual([c1, c2]);
      } finally {
        await s.close();
      }
    });

    it('installs library versions; the newest is current and comes back as written', async () => {
      const s = await backend.open();
      try {
        const l = s.loop.libraries;
        expect(await l.current()).toBeNull();
        expect(await l.versions()).toEqual([]);
        const classic = classicLibrary();
        const v2 = makeLibrary(classic.entries.slice(0, 3), 2, classic);
        const v3 = makeLibrary(classic.entries.slice(0, 4), 3, v2);
        expect((await l.install(v2)).where).toMatch(/v2$/);
        await l.install(v3);
        await l.install(v3); // a cycle finished twice
        const current = await l.current();
        expect(libraryToJson(current!)).toBe(libraryToJson(v3));
        expect((await l.versions()).map(({ version, current }) => ({ version, current }))).toEqual([
          { version: 2, current: false },
          { version: 3, current: true },
        ]);
      } finally {
        await s.close();
      }
    });
  });
}
