/**
 * Discovery on a user's table (csvTask): held-out rows, errors and formulas in the user's units.
 * Quality bar cases that run in seconds: sqrt(x² + y²) on [0.1, 1]² and J0(20x) on [-1, 1].
 */
import { describe, expect, it } from 'vitest';
import { csvTask } from '../../../cloud/discovery/csv-task.js';
import { discover } from '../../../cloud/discovery/discover.js';
import { besselJ0 } from '../../../cloud/discovery/special.js';
import { compileActivation } from '../../../shared/activations/index.js';
import type { NumericTable } from '../../../shared/io/csv.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { Rng } from '../../../shared/numeric/rng.js';

function table(
  columns: string[],
  rows: number,
  seed: number,
  row: (u: () => number) => number[],
): NumericTable {
  const rng = new Rng(seed);
  const values = new Float64Array(rows * columns.length);
  for (let r = 0; r < rows; r++)
    values.set(
      row(() => rng.uniform(0, 1)),
      r * columns.length,
    );
  return { columns, values, rows };
}

/** R² of the best affine map p·a + q onto b (an entry's shape against a target curve). */
function affineR2(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return (sab * sab) / (saa * sbb);
}

describe('discovery on user data', () => {
  it('finds sqrt(x² + y²) on [0.1, 1]² in the raw units, held-out RMSE ≤ 1e-4, on disjoint rows', async () => {
    const data = table(['x', 'y', 'z'], 1000, 11, (u) => {
      const x = 0.1 + 0.9 * u();
      const y = 0.1 + 0.9 * u();
      return [x, y, Math.hypot(x, y)];
    });
    const r = await discover({
      tasks: [csvTask(data, 'z', 'hypot.csv')],
      source: 'hypot.csv',
      library: classicLibrary(),
      seed: 0,
      measureCost: false,
    });
    const t = r.tasks[0]!;
    expect(t.rows).toEqual({ train: 700, validation: 100, test: 200 });
    expect(t.formula).toBe('z = sqrt(x² + y²)');
    // the normalised form is kept too, and differs (it is over the scaled columns)
    expect(t.formulaNormalised).not.toBe(t.formula);
    expect(t.formulaRmse!).toBeLessThanOrEqual(1e-4);
    // test RMSE in z's units; standardised = divided by z's standard deviation (about 0.2)
    expect(t.testRmse).toBeLessThan(2e-3);
    expect(t.testRmse / t.testRmseStandardised).toBeGreaterThan(0.1);
    expect(t.testRmse / t.testRmseStandardised).toBeLessThan(0.4);
    expect(t.testR2).toBeGreaterThan(0.9999);
  });

  it('turns J0(20x) on [-1, 1] into a library entry whose curve matches it (R² ≥ 0.999), the same every run', async () => {
    const data = table(['x', 'j'], 1500, 5, (u) => {
      const x = -1 + 2 * u();
      return [x, besselJ0(20 * x)];
    });
    const task = csvTask(data, 'j', 'j0.csv');
    const run = () =>
      discover({
        tasks: [task],
        source: 'j0.csv',
        library: classicLibrary(),
        seed: 2,
        width: [1, 1],
        measureCost: false,
      });
    const r = await run();
    expect(r.added.length).toBe(1);
    const e = r.added[0]!;
    const act = compileActivation(e);
    // the entry's natural curve over the KAN's input: x as the task scaled it (min–max onto [-1, 1])
    const { shift, scale } = task.scaling.inputs[0]!;
    const xs = Float64Array.from({ length: 801 }, (_, i) => -0.999 + (1.998 * i) / 800);
    const ys = xs.map((x) => {
      const u = (x - shift) / scale;
      return e.natural.c * act.value(e.natural.a * u + e.natural.b) + e.natural.d;
    });
    const r2 = affineR2(
      ys,
      xs.map((x) => besselJ0(20 * x)),
    );
    console.log(
      `[user data] J0(20x): entry ${e.form}, R² ${r2.toFixed(6)}, ${(e.params as { coeffs?: unknown[] }).coeffs?.length} coefficients, test R² ${r.tasks[0]!.testR2.toFixed(6)}`,
    );
    expect(r2).toBeGreaterThanOrEqual(0.999);
    const again = await run();
    expect(again.added.map((a) => a.id)).toEqual(r.added.map((a) => a.id));
    expect(again.tasks[0]!.formula).toBe(r.tasks[0]!.formula);
  });
});
