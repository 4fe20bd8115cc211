/**
 * Products in discovery (issue 14 item 4): pykan 2's multiplication node as a candidate beside
 * the additive KAN (cloud/discovery/product.ts). x·y and P = V·I come out as products in the
 * user's units, on different data and splits, the same on every run; a product formula never
 * replaces a better additive one.
 */
import { describe, expect, it } from 'vitest';
import { csvTask } from '../../../cloud/discovery/csv-task.js';
import { discover } from '../../../cloud/discovery/discover.js';
import { buildFormula, type EdgeSpec, formulaRmse } from '../../../cloud/discovery/formula.js';
import { plotKanSvg } from '../../../cloud/discovery/plot-kan.js';
import { PRODUCT_MARGIN, preferProduct, trainProductKan } from '../../../cloud/discovery/product.js';
import { readNetwork } from '../../../cloud/discovery/read-network.js';
import { splitTask } from '../../../cloud/discovery/split.js';
import { Kan } from '../../../cloud/kan/kan.js';
import { widthText } from '../../../cloud/kan/mult.js';
import { InputError } from '../../../shared/errors.js';
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

/** Short schedule: the product network is what is tested, the additive KAN only competes. */
const FAST = { measureCost: false, extendTo: [10], trainRows: 400, library: classicLibrary() } as const;

function xyTable(seed: number): NumericTable {
  return table(['x', 'y', 'z'], 600, 20 + seed, (u) => {
    const x = 2 * u() - 1;
    const y = 2 * u() - 1;
    return [x, y, x * y];
  });
}

function run(data: NumericTable, target: string, seed: number) {
  return discover({ tasks: [csvTask(data, target, 'data.csv')], source: 'data.csv', seed, ...FAST });
}

describe('products in discovery', () => {
  it('builds the formula of a product node: (a·x + b)·(c·y + d) expands into monomials', () => {
    // [2, [0, 1], 1]: x → sub 0, y → sub 1, cross edges constant, identity out
    const edges: EdgeSpec[] = [
      { layer: 0, i: 0, j: 0, fit: { fn: 'x', a: 1, b: 0, c: 2, d: 0.5 } },
      { layer: 0, i: 0, j: 1, fit: { fn: 'x', a: 0, b: 0, c: 0, d: 0.25 } },
      { layer: 0, i: 1, j: 0, fit: { fn: 'x', a: 0, b: 0, c: 0, d: -0.5 } },
      { layer: 0, i: 1, j: 1, fit: { fn: 'x', a: 1, b: 0, c: 3, d: -0.25 } },
      { layer: 1, i: 0, j: 0, fit: { fn: 'x', a: 1, b: 0, c: 1, d: 0 } },
    ];
    const f = buildFormula([2, 1, 1], edges, { inputNames: ['x', 'y'], mult: [0, 1, 0] });
    expect(f.text[0]).toBe('6·x·y');
    expect(formulaRmse(f, [0.3, -0.7], [6 * 0.3 * -0.7])).toBeLessThan(1e-15);
    // a curved factor has no expansion here: a clear error, not a wrong formula
    const curved = edges.map((e, k) =>
      k === 0 ? { ...e, fit: { fn: 'sin' as const, a: 1, b: 0, c: 1, d: 0 } } : e,
    );
    expect(() => buildFormula([2, 1, 1], curved, { mult: [0, 1, 0] })).toThrow(InputError);
  });

  it('takes the product only when its formula is as good as the additive KAN', () => {
    const base = { additiveNetwork: 1e-6, additiveFormula: null, productFormula: 1e-30, variance: 1 };
    expect(preferProduct(base)).toBe(true);
    expect(preferProduct({ ...base, productFormula: null })).toBe(false);
    // an approximation worse than the network beyond the margin loses
    expect(preferProduct({ ...base, productFormula: (1 + 2 * PRODUCT_MARGIN) * 1e-6 })).toBe(false);
    // an additive formula that is better keeps its place
    expect(preferProduct({ ...base, additiveFormula: 1e-31 })).toBe(false);
    expect(preferProduct({ ...base, additiveFormula: 1e-20 })).toBe(true);
  });

  for (const seed of [0, 1]) {
    it(`finds z = x·y on [-1, 1]², formula held-out RMSE ≤ 1e-4 (data and split seed ${seed})`, async () => {
      const t = (await run(xyTable(seed), 'z', seed)).tasks[0]!;
      console.log(
        `[product] x·y seed ${seed}: ${t.formula}, width ${widthText(t.width, t.mult)}, network test RMSE ${t.testRmse.toExponential(2)}, formula ${t.formulaRmse?.toExponential(2)}`,
      );
      expect(t.formula).toBe('z = x·y');
      // the network on this short schedule (400 rows, grid 10); its formula is exact
      expect(t.testRmse).toBeLessThanOrEqual(1e-3);
      expect(t.formulaRmse!).toBeLessThanOrEqual(1e-4);
    });
  }

  it('trains and reads the product network the same way on every run with the same seed', () => {
    const task = csvTask(xyTable(0), 'z', 'xy.csv');
    const { train } = splitTask(task, new Rng(0).fork('task:xy'), {});
    const once = () => {
      const kan = trainProductKan(train, 2, { seed: 0, steps: 20, grid: 5 });
      return { params: [...kan.params], formula: readNetwork(kan, task, train).formula.text[0] };
    };
    const a = once();
    expect(a.formula).toBe('x·y');
    expect(once()).toEqual(a);
  });

  it('draws a product node as × with both sub-node edges ending on it', () => {
    const kan = Kan.create([2, 1, 1], { mult: [0, 1, 0], seed: 1 });
    const svg = plotKanSvg(kan, []);
    expect(svg.match(/data-node="product"/g)).toHaveLength(1);
    const product = /<circle cx="([\d.]+)" cy="([\d.]+)" r="6"/.exec(svg)!;
    // every layer-0 edge's upper line ends on the product node
    const ends = [
      ...svg.matchAll(/data-edge="0,\d,\d"[\s\S]*?<line [^>]*\/>\s*<line [^>]*x2="([\d.]+)" y2="([\d.]+)"/g),
    ];
    expect(ends).toHaveLength(4);
    for (const m of ends) expect(m[1]).toBe(product[1]);
    expect(svg).not.toMatch(/NaN/);
  });

  it('finds P = V·I with V in [200, 240] and I in [0, 10]: the scalings fold into the product', async () => {
    const data = table(['V', 'I', 'P'], 600, 31, (u) => {
      const V = 200 + 40 * u();
      const I = 10 * u();
      return [V, I, V * I];
    });
    const t = (await run(data, 'P', 3)).tasks[0]!;
    console.log(`[product] V·I: ${t.formula}, formula test RMSE ${t.formulaRmse?.toExponential(2)} W`);
    expect(t.formula).toBe('P = V·I');
    expect(t.formulaRmse!).toBeLessThanOrEqual(1e-6);
  });
});
