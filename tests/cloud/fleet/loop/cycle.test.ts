/**
 * Closing the loop end to end (cloud/fleet/loop): hunger from two devices in the real telemetry
 * store wakes the policy through the event bus; real discovery (the bundled CLI in a child
 * process) grows the library with the wanted shape; the release is signed and handed to the
 * release service. Then: the cooldown holds, a restart remembers what was handled, and new
 * hunger for a shape the library now has is recognised as nothing new.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobTask } from '../../../../cloud/discovery/job-task.js';
import { currentLibraryDir, libraryVersions } from '../../../../cloud/fleet/loop/index.js';
import { directedDistance } from '../../../../shared/activations/index.js';
import { evaluateNatural } from '../../../../shared/library/evaluate.js';
import {
  classicLibrary,
  LIBRARY_FILE,
  loadLibrary,
  parseLibrary,
} from '../../../../shared/library/library.js';
import { tabulateShape } from '../../../../shared/library/near.js';
import { unpackRelease } from '../../../../shared/release/container.js';
import { openRelease, readReleaseFile } from '../../../../shared/release/release-file.js';
import { buildCliOnce } from '../../../cli/cli-harness.js';
import { waitFor } from '../helpers.js';
import { type LoopRig, startRig, T0, WANTED } from './helpers.js';

const WINDOW = 3_600_000;
const COOLDOWN = 600_000;

let rig: LoopRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});
beforeAll(buildCliOnce, 120_000);

/** The wanted shape on z ∈ [-1, 1], u = 2z (the devices sample u in [-2, 2]). */
const wantedShape = (z: number) => WANTED(2 * z);

describe('closing the loop', () => {
  it('turns persistent hunger on two devices into one discovery, one signed library release and one publish', async () => {
    rig = startRig();
    const r = rig;
    const options = {
      thresholds: { windowMs: WINDOW, minHungryRecords: 4, minDevices: 2, cooldownMs: COOLDOWN },
    };
    let policy = r.start({ ...options, debounceMs: 20 }); // woken by the hunger events

    r.hunger('f1', 'dev-a', 3);
    r.hunger('f1', 'dev-b', 2);
    r.hunger('f2', 'dev-c', 9); // another fleet, one device: not persistent
    await waitFor('the release to be published', () => r.published.length === 1, 30_000);
    await waitFor('the cycle to be recorded', () => policy.status().cycles.length === 1);

    // the release: signed by our key, a library release of the new version, for fleet f1
    const file = join(r.dir, 'loop', 'releases', 'library-v2.lkr');
    expect(r.published).toEqual([{ file, fleet: 'f1' }]);
    const { manifest, payload } = openRelease(readReleaseFile(file), [r.keys.publicKey]);
    expect(manifest).toMatchObject({ kind: 'library', version: '2' });
    const shipped = parseLibrary(
      JSON.parse(Buffer.from(unpackRelease(payload)[LIBRARY_FILE]!).toString()),
      'x',
    );

    // the library: v2 under DATA/library, current, announced on the bus, classic merged in
    const v2dir = join(r.dir, 'library', 'v2');
    expect(currentLibraryDir(r.dir)).toBe(join(r.dir, 'library', 'current'));
    expect(loadLibrary(currentLibraryDir(r.dir)!)).toEqual(loadLibrary(v2dir));
    expect(libraryVersions(r.dir)).toEqual([{ version: 2, dir: v2dir, current: true }]);
    expect(policy.status().currentLibrary).toEqual({ version: 2, dir: v2dir });
    expect(r.seen.filter((e) => e.type === 'library')).toEqual([{ type: 'library', version: '2' }]);
    const v2 = loadLibrary(v2dir);
    expect(shipped.hash).toBe(v2.hash);
    const classic = classicLibrary();
    expect(v2.parent).toEqual({ version: 1, hash: classic.hash });
    for (const e of classic.entries) expect(v2.entries.map((x) => x.id)).toContain(e.id);

    // the cycle record and the job it ran
    const [c1] = policy.status().cycles;
    expect(c1).toMatchObject({
      id: 'c1',
      fleet: 'f1',
      layer: 0,
      outcome: 'released',
      published: true,
      error: null,
      trigger: { hungryRecords: 5, devices: ['dev-a', 'dev-b'], samples: 5 * 64, firstMs: T0, lastMs: T0 },
      parent: { version: 1, hash: classic.hash },
      library: { version: 2, dir: join('library', 'v2') },
      release: { file: join('loop', 'releases', 'library-v2.lkr'), version: '2', sha256: manifest.sha256 },
    });
    expect(jobTask(join(r.dir, c1!.job!)).name).toBe('fleet-f1-L0');
    const history = readFileSync(join(r.dir, 'loop', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(history.map((l) => JSON.parse(l))).toEqual([c1]);

    // the new entry fits the hungry shape, and better than every classic entry (same yardstick:
    // the affine-invariant distance; measured here independently of the policy's own figures)
    const added = v2.entries.filter((e) => !classic.entries.some((c) => c.id === e.id));
    expect(added.map((e) => e.id)).toEqual(c1!.discovery!.added.map((e) => e.id));
    const dist = (e: (typeof added)[number]) => directedDistance(wantedShape, tabulateShape(e));
    const newBest = Math.min(...added.map(dist));
    const classicBest = Math.min(...classic.entries.map(dist));
    const u = Array.from({ length: 401 }, (_, i) => -2 + i / 100);
    const naturalErr = Math.max(...evaluateNatural(added[0]!, u).map((y, i) => Math.abs(y - WANTED(u[i]!))));
    console.log(
      `loop fit: new ${added.map((e) => `${e.form} ${e.name}`).join(', ')} distance ${newBest.toExponential(2)}, ` +
        `best classic ${c1!.discovery!.bestParent!.name} ${classicBest.toExponential(2)}, ` +
        `natural max |err| ${naturalErr.toExponential(2)}; recorded ${JSON.stringify(c1!.discovery!.added)}`,
    );
    expect(newBest).toBeLessThan(0.01);
    expect(classicBest).toBeGreaterThan(0.05);
    expect(c1!.discovery!.bestParent!.hungerDistance).toBeCloseTo(classicBest, 3);
    expect(naturalErr).toBeLessThan(0.02);
    expect(c1!.discovery!.added[0]!.hungerDistance).toBeLessThan(c1!.discovery!.bestParent!.hungerDistance);

    // cooldown: hunger persists, but the group waits
    r.now = T0 + 1000;
    r.hunger('f1', 'dev-a', 2);
    r.hunger('f1', 'dev-b', 2);
    expect(await policy.evaluate()).toEqual([]);
    const g = policy.status().lastEvaluation!.groups.find((x) => x.fleet === 'f1')!;
    expect(g).toMatchObject({
      hungryRecords: 4,
      devices: 2,
      persistent: true,
      cooldownUntilMs: T0 + COOLDOWN,
    });

    // a restart during the cooldown reads the history and still waits
    await policy.close();
    policy = r.start(options);
    expect(await policy.evaluate()).toEqual([]);
    expect(policy.status().cycles).toEqual([c1]);

    // after the cooldown only the new hunger counts; the library already has the shape
    r.now = T0 + COOLDOWN + 1;
    const [c2] = await policy.evaluate();
    expect(c2).toMatchObject({
      id: 'c2',
      outcome: 'nothing-new',
      published: false,
      release: null,
      library: null,
      parent: { version: 2, hash: v2.hash },
      trigger: { hungryRecords: 4, firstMs: T0 + 1000, lastMs: T0 + 1000 },
    });
    expect(c2!.discovery!.added).toEqual([]);
    expect(r.published).toHaveLength(1);

    // restarted once more, past every cooldown, with all the hunger still in the window: handled
    r.now = T0 + 2 * COOLDOWN + 2;
    await policy.close();
    policy = r.start(options);
    expect(await policy.evaluate()).toEqual([]);
    expect(policy.status().lastEvaluation!.groups).toMatchObject([
      { fleet: 'f1', hungryRecords: 0, persistent: false, cooldownUntilMs: null },
      { fleet: 'f2', hungryRecords: 9, devices: 1, persistent: false },
    ]);
    expect(existsSync(join(r.dir, 'loop', 'work', 'c1'))).toBe(false);
    expect(r.published).toHaveLength(1);
  });
});
