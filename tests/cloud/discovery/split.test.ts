/** Train, validation and test rows: disjoint, seeded, and refused when the data cannot fill them. */
import { describe, expect, it } from 'vitest';
import { splitTask } from '../../../cloud/discovery/split.js';
import type { DiscoveryTask } from '../../../cloud/discovery/tasks.js';
import { InputError } from '../../../shared/errors.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** A task whose rows are numbered: x = row index, so the parts can be compared by value. */
function numbered(n: number): DiscoveryTask {
  const x = Float64Array.from({ length: n }, (_, i) => i);
  return {
    name: 'numbered',
    description: '',
    inputNames: ['i'],
    targetName: 'y',
    width: [1, 1],
    rows: { x, y: x.map((v) => 2 * v), batch: n },
    sample: () => {
      throw new Error('a task with rows is split, never sampled');
    },
  };
}

describe('splitTask', () => {
  it('cuts the rows into disjoint train, validation and test parts of the asked sizes, the same for the same seed', () => {
    const s = splitTask(numbered(1000), new Rng(4), { testFraction: 0.25 });
    expect([s.train.batch, s.validation.batch, s.test.batch]).toEqual([650, 100, 250]);
    const parts = [s.train, s.validation, s.test].map((p) => new Set(p.x));
    const all = new Set([...parts[0]!, ...parts[1]!, ...parts[2]!]);
    expect(all.size).toBe(1000);
    for (const p of [s.train, s.validation, s.test]) {
      for (const [k, v] of p.x.entries()) expect(p.y[k]).toBe(2 * v);
    }
    const again = splitTask(numbered(1000), new Rng(4), { testFraction: 0.25 });
    expect(Array.from(again.test.x)).toEqual(Array.from(s.test.x));
    const other = splitTask(numbered(1000), new Rng(5), { testFraction: 0.25 });
    expect(Array.from(other.test.x)).not.toEqual(Array.from(s.test.x));
    const capped = splitTask(numbered(1000), new Rng(4), { trainRows: 100, testRows: 50 });
    expect([capped.train.batch, capped.validation.batch, capped.test.batch]).toEqual([100, 100, 50]);
  });

  it('refuses too few rows and fractions outside (0, 0.5] with a message naming the problem', () => {
    expect(() => splitTask(numbered(20), new Rng(0))).toThrow(/20 rows are too few for the split/);
    expect(() => splitTask(numbered(1000), new Rng(0), { testFraction: 0.6 })).toThrow(
      /--test-fraction must be in \(0, 0.5\], got 0.6/,
    );
    expect(() => splitTask(numbered(1000), new Rng(0), { testFraction: 0 })).toThrow(InputError);
    expect(() => splitTask(numbered(1000), new Rng(0), { trainRows: 1.5 })).toThrow(/--train-rows/);
  });
});
