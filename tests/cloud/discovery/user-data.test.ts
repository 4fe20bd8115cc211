/**
 * Discovery on a user's table (csvTask): held-out rows, errors and formulas in the user's units.
 * Quality bar cases that run in seconds: sqrt(x² + y²) on [0.1, 1]², J0(20x) on [-1, 1], the toy
 * exp(sin(πx) + y²) as a table, and the KAN paper's [4,4,2,1] example on fewer rows and steps.
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

  it('finds exp(sin(πx) + y²) in a table: the formula in raw units, network and formula held-out RMSE ≤ 1e-3, the same every run', async () => {
    const data = table(['x', 'y', 'z'], 800, 21, (u) => {
      const x = -1 + 2 * u();
      const y = -1 + 2 * u();
      return [x, y, Math.exp(Math.sin(Math.PI * x) + y * y)];
    });
    const run = () =>
      discover({
        tasks: [csvTask(data, 'z', 'toy.csv')],
        source: 'toy.csv',
        library: classicLibrary(),
        seed: 0,
        width: [2, 5, 1],
        measureCost: false,
      });
    const r = await run();
    const t = r.tasks[0]!;
    console.log(
      `[user data] toy: width [${t.width}], network test RMSE ${t.testRmse.toExponential(2)}, formula ${t.formulaRmse}`,
    );
    expect(t.width).toEqual([2, 1, 1]);
    expect(t.formula).toBe('z = exp(sin(π·x) + y²)');
    expect(t.formulaRmse!).toBeLessThanOrEqual(1e-3);
    // fitting before sparsity and the grid margin reach 8.9e-5 on this table, where sparsity from
    // the first step and grids ending at the data reached 1.4e-3
    expect(t.testRmse).toBeLessThanOrEqual(1e-3);
    const again = await run();
    expect(again.tasks[0]!.formula).toBe(t.formula);
    expect(again.library.hash).toBe(r.library.hash);
  });

  it("fits the KAN paper's exp(½(sin(π(x1²+x2²)) + sin(π(x3²+x4²)))) with [4,4,2,1]: held-out R² ≥ 0.95, no shrink that underfits", async () => {
    const data = table(['x1', 'x2', 'x3', 'x4', 'y'], 600, 31, (u) => {
      const x = [0, 0, 0, 0].map(() => -1 + 2 * u());
      const [a, b, c, d] = x as [number, number, number, number];
      const y = Math.exp(0.5 * (Math.sin(Math.PI * (a * a + b * b)) + Math.sin(Math.PI * (c * c + d * d))));
      return [...x, y];
    });
    const r = await discover({
      tasks: [csvTask(data, 'y', 'paper.csv')],
      source: 'paper.csv',
      library: classicLibrary(),
      seed: 0,
      width: [4, 4, 2, 1],
      steps: 8,
      extendTo: [5, 10],
      measureCost: false,
    });
    const t = r.tasks[0]!;
    console.log(
      `[user data] paper example: width [${t.width}], test R² ${t.testR2.toFixed(5)}, ${t.formula}`,
    );
    expect(t.testR2).toBeGreaterThanOrEqual(0.95);
    // the two radii x1²+x2² and x3²+x4² need two nodes in the first hidden layer
    expect(t.width[1]).toBeGreaterThanOrEqual(2);
  });
});
