import { describe, expect, it } from 'vitest';
import { buildFormula, type EdgeSpec, formulaRmse } from '../../../cloud/discovery/formula.js';
import { formatConstant } from '../../../cloud/discovery/formula-print.js';
import { refitFormula } from '../../../cloud/discovery/formula-refit.js';
import { simplifyFormula } from '../../../cloud/discovery/formula-simplify.js';

/** Rows (x, y) ~ U(-1, 1)² and targets exp(sin(πx) + y²). */
function data(n: number, seed: number) {
  let s = seed;
  const r = () => {
    s = (s * 16807) % 2147483647;
    return (2 * s) / 2147483647 - 1;
  };
  const X = new Float64Array(2 * n);
  const Y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[2 * i] = r();
    X[2 * i + 1] = r();
    Y[i] = Math.exp(Math.sin(Math.PI * X[2 * i]) + X[2 * i + 1] ** 2);
  }
  return { X, Y };
}

/** What a trained [2, 1, 1] KAN's snapped edges look like: right forms, constants a little off. */
const EDGES: EdgeSpec[] = [
  { layer: 0, i: 0, j: 0, fit: { fn: 'sin', a: 3.13, b: 0.004, c: 0.99, d: 0.3 } },
  { layer: 0, i: 1, j: 0, fit: { fn: 'x2', a: 1.01, b: -0.002, c: 0.98, d: -0.29 } },
  { layer: 1, i: 0, j: 0, fit: { fn: 'exp', a: 1.01, b: 0.01, c: 1.02, d: 0.003 } },
];

describe('formula of a KAN', () => {
  it('names sin, a square and exp for exp(sin(πx) + y²) through [2, 1, 1], merging affine constants', () => {
    const f = buildFormula([2, 1, 1], EDGES);
    expect(f.text).toHaveLength(1);
    expect(f.text[0]).toMatch(/exp\(.*sin\(.*x1.*\).*x2.*²\)/);
    // d's of the two inner edges merged, exp's inner constant pulled into its coefficient
    expect(f.text[0]).not.toMatch(/0\.3|0\.29/);
    const { X, Y } = data(300, 7);
    const g = simplifyFormula(f, X, Y);
    expect(g.text[0]).toBe('1.041·exp(sin(π·x1) + x2²)');
    expect(formulaRmse(g, X, Y)).toBeLessThan(formulaRmse(f, X, Y));
  });

  it('refits the constants by least squares to RMSE < 1e-6 on held-out data', () => {
    const train = data(300, 7);
    const test = data(200, 99);
    const f = simplifyFormula(buildFormula([2, 1, 1], EDGES), train.X, train.Y);
    const r = refitFormula(f, train.X, train.Y);
    expect(r.rmse).toBeLessThan(1e-6);
    expect(formulaRmse(r.formula, test.X, test.Y)).toBeLessThan(1e-6);
    const clean = simplifyFormula(r.formula, train.X, train.Y);
    expect(clean.text[0]).toBe('exp(sin(π·x1) + x2²)');
    expect(formulaRmse(clean, test.X, test.Y)).toBeLessThan(1e-9);
  });

  it('evaluates with its own constants or overrides, and exposes them', () => {
    const f = buildFormula([2, 1, 1], EDGES);
    const [x, y] = [0.3, -0.4];
    const inner = 0.99 * Math.sin(3.13 * x + 0.004) + 0.3 + 0.98 * (1.01 * y - 0.002) ** 2 - 0.29;
    expect(f.evaluate([x, y])[0]).toBeCloseTo(1.02 * Math.exp(1.01 * inner + 0.01) + 0.003, 12);
    const zeroed = new Float64Array(f.constants.length);
    expect(f.evaluate([x, y], zeroed)[0]).toBe(0);
  });

  it('drops a negligible term and keeps splines as named edges', () => {
    const xs = Array.from({ length: 41 }, (_, k) => -1 + k / 20);
    const f = buildFormula(
      [2, 1],
      [
        { layer: 0, i: 0, j: 0, fit: 'spline', x: xs, y: xs.map((v) => Math.abs(v) ** 1.5) },
        { layer: 0, i: 1, j: 0, fit: { fn: 'sin', a: 1, b: 0, c: 1e-7, d: 0 } },
      ],
    );
    expect(f.text[0]).toContain('sin');
    const { X } = data(200, 3);
    const g = simplifyFormula(f, X);
    expect(g.text[0]).toBe('s[0,0,0](x1)');
    expect(g.evaluate([0.5, 0.2])[0]).toBeCloseTo(0.5 ** 1.5, 2);
  });

  it('prints constants to 4 significant digits and snapped ones by name', () => {
    expect(formatConstant(3.14161)).toBe('3.142');
    expect(formatConstant(Math.PI)).toBe('π');
    expect(formatConstant(0.5)).toBe('0.5');
    expect(formatConstant(-0.000123456)).toBe('-0.0001235');
  });
});
