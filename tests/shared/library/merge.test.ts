/** mergeLibraries: union by id, near-duplicates folded with usage merged, version and order rules. */
import { describe, expect, it } from 'vitest';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import { mergeLibraries, mergeLibrariesReport } from '../../../shared/library/merge.js';
import { mergeUsage } from '../../../shared/library/usage.js';
import { bumpy, cubic, fitted } from './fixtures.js';

const classic = classicLibrary();
const bump = fitted('bump', bumpy, -2, 3, { count: 5, byTask: { pendulum: 5 } });
const cube = fitted('cube', cubic, -1.5, 1.5, { count: 2, byTask: { battery: 2 } });
// the same shape as bump from another window of an affine copy: a near-duplicate, not the same id
const bumpAgain = fitted('bump2', (x) => -4 * bumpy(0.5 * x - 1) + 7, -2, 8, {
  count: 3,
  byTask: { pendulum: 1, motor: 2 },
});

describe('mergeLibraries', () => {
  it("keeps a's entries first, then b's new ones, with version max + 1 and parent a", () => {
    const a = makeLibrary([...classic.entries, bump], 3, classic);
    const b = makeLibrary([cube], 7);
    const r = mergeLibrariesReport(a, b);
    expect(r.library.entries.map((e) => e.name)).toEqual([
      ...classic.entries.map((e) => e.name),
      'bump',
      'cube',
    ]);
    expect(r.library.version).toBe(8);
    expect(r.library.parent).toEqual({ version: 3, hash: a.hash });
    expect(r.added).toEqual([cube.id]);
    expect(r.merged).toEqual([]);
  });

  it('keeps an id once and adds its usage', () => {
    const a = makeLibrary([bump], 1);
    const b = makeLibrary([bump, cube], 2);
    const r = mergeLibrariesReport(a, b);
    expect(r.library.entries.map((e) => e.id)).toEqual([bump.id, cube.id]);
    expect(r.library.entries[0].meta.usage).toEqual({ count: 10, byTask: { pendulum: 10 } });
    expect(r.merged).toEqual([{ id: bump.id, name: 'bump', into: bump.id, distance: 0 }]);
  });

  it('folds a near-duplicate into the kept shape, merging count and byTask', () => {
    expect(bumpAgain.id).not.toBe(bump.id);
    const r = mergeLibrariesReport(makeLibrary([bump, cube], 1), makeLibrary([bumpAgain], 1));
    expect(r.library.entries.map((e) => e.id)).toEqual([bump.id, cube.id]);
    expect(r.library.entries[0].meta.usage).toEqual({ count: 8, byTask: { motor: 2, pendulum: 6 } });
    expect(r.merged[0].into).toBe(bump.id);
    expect(r.merged[0].distance).toBeLessThan(0.02);
    expect(r.library.version).toBe(2);
  });

  it('never folds builtins by distance (sigmoid stays beside tanh), and is deterministic', () => {
    const a = makeLibrary([classic.entries[3]], 1); // tanh
    const m1 = mergeLibraries(a, classic);
    const m2 = mergeLibraries(a, classic);
    expect(m1.entries.map((e) => e.name)).toEqual([
      'tanh',
      ...classic.entries.map((e) => e.name).filter((n) => n !== 'tanh'),
    ]);
    expect(m1.hash).toBe(m2.hash);
  });

  it('mergeUsage adds counts and per-task counts with sorted keys', () => {
    expect(mergeUsage({ count: 1, byTask: { b: 1 } }, { count: 2, byTask: { a: 2, b: 0 } })).toEqual({
      count: 3,
      byTask: { a: 2, b: 1 },
    });
  });
});
