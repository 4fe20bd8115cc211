import { describe, expect, it } from 'vitest';
import { ShapeError } from '../../../shared/errors.js';
import {
  basisInto,
  coefToCurve,
  curveToCoef,
  extendGrid,
  uniformGrid,
  uniformKnots,
} from '../../../shared/numeric/bspline.js';
import { bsplineEdges } from '../../../shared/numeric/bspline-op.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';
import { randConst, randParam, weightedLoss } from './helpers.js';

/** Textbook Cox–de Boor recursion (pykan's B_batch for one x), the reference for the fast kernel. */
function naiveBasis(x: number, t: Float64Array, i: number, d: number): number {
  if (d === 0) return t[i]! <= x && x < t[i + 1]! ? 1 : 0;
  return (
    ((x - t[i]!) / (t[i + d]! - t[i]!)) * naiveBasis(x, t, i, d - 1) +
    ((t[i + d + 1]! - x) / (t[i + d + 1]! - t[i + 1]!)) * naiveBasis(x, t, i + 1, d - 1)
  );
}

describe('uniformKnots', () => {
  it('extends G intervals on [lo, hi] by k knots on each side', () => {
    expect([...uniformKnots(-1, 1, 2, 1)]).toEqual([-2, -1, 0, 1, 2]);
    const t = uniformKnots(0, 1, 5, 3);
    expect(t.length).toBe(5 + 2 * 3 + 1);
    expect(t[3]).toBeCloseTo(0, 15);
    expect(t[8]).toBeCloseTo(1, 15);
    expect(() => uniformKnots(1, 0, 5, 3)).toThrow(/lo < hi/);
  });
});

describe('basisInto', () => {
  for (const k of [0, 1, 2, 3]) {
    it(`matches the textbook recursion for degree ${k}, inside and outside the grid`, () => {
      const G = 5;
      const t = uniformKnots(-1, 1, G, k);
      const nb = G + k;
      const xs = Float64Array.of(-1, -0.73, -0.2, 0, 0.41, 0.999, 1, -1.5, 1.3, -5, 5, Number.NaN);
      const out = new Float64Array(xs.length * nb);
      basisInto(xs, t, k, out);
      for (let b = 0; b < xs.length; b++) {
        for (let c = 0; c < nb; c++) {
          const ref = Number.isNaN(xs[b]!) ? 0 : naiveBasis(xs[b]!, t, c, k);
          expect(out[b * nb + c]).toBeCloseTo(ref, 13);
        }
      }
    });
  }

  it('forms a partition of unity on [lo, hi]', () => {
    const k = 3;
    const t = uniformKnots(-2, 3, 7, k);
    const xs = new Rng(50).fillUniform(new Float64Array(40), -2, 3);
    const out = new Float64Array(40 * 10);
    basisInto(xs, t, k, out);
    for (let b = 0; b < 40; b++) {
      let s = 0;
      for (let c = 0; c < 10; c++) s += out[b * 10 + c]!;
      expect(s).toBeCloseTo(1, 13);
    }
  });

  it('gives x-derivatives that match finite differences', () => {
    const k = 3;
    const t = uniformKnots(-1, 1, 4, k);
    const nb = 7;
    const xs = new Rng(51).fillUniform(new Float64Array(25), -1.6, 1.6);
    const out = new Float64Array(25 * nb);
    const dout = new Float64Array(25 * nb);
    basisInto(xs, t, k, out, dout);
    const h = 1e-6;
    const plus = new Float64Array(25 * nb);
    const minus = new Float64Array(25 * nb);
    basisInto(
      xs.map((v) => v + h),
      t,
      k,
      plus,
    );
    basisInto(
      xs.map((v) => v - h),
      t,
      k,
      minus,
    );
    for (let i = 0; i < out.length; i++) expect(dout[i]).toBeCloseTo((plus[i]! - minus[i]!) / (2 * h), 7);
  });

  it('rejects an output buffer of the wrong size', () => {
    expect(() => basisInto(Float64Array.of(0), uniformKnots(-1, 1, 3, 3), 3, new Float64Array(5))).toThrow(
      ShapeError,
    );
  });
});

describe('coefToCurve and curveToCoef', () => {
  const nIn = 2;
  const nOut = 3;
  const G = 6;
  const k = 3;
  const grid = uniformGrid(nIn, -1, 1, G, k);

  it('evaluates y[b, i, j] = Σ_c coef[i, j, c]·B_c(x[b, i])', () => {
    const rng = new Rng(52);
    const coef = rng.fillNormal(new Float64Array(nIn * nOut * (G + k)));
    const x = rng.fillUniform(new Float64Array(4 * nIn), -1, 1);
    const y = coefToCurve(x, grid, coef, nOut);
    const t = grid.knots.subarray(0, G + 2 * k + 1);
    for (let b = 0; b < 4; b++) {
      for (let i = 0; i < nIn; i++) {
        for (let j = 0; j < nOut; j++) {
          let ref = 0;
          for (let c = 0; c < G + k; c++)
            ref += coef[(i * nOut + j) * (G + k) + c]! * naiveBasis(x[b * nIn + i]!, t, c, k);
          expect(y[(b * nIn + i) * nOut + j]).toBeCloseTo(ref, 12);
        }
      }
    }
  });

  it('round-trips: fitting a spline curve recovers its coefficients', () => {
    const rng = new Rng(53);
    const coef = rng.fillNormal(new Float64Array(nIn * nOut * (G + k)));
    const x = rng.fillUniform(new Float64Array(200 * nIn), -1, 1);
    const back = curveToCoef(x, coefToCurve(x, grid, coef, nOut), grid, nOut);
    for (let i = 0; i < coef.length; i++) expect(back[i]).toBeCloseTo(coef[i]!, 5);
  });

  it('fits a smooth function closely (sin on [-1, 1], G = 10)', () => {
    const g = uniformGrid(1, -1, 1, 10, 3);
    const n = 101;
    const x = Float64Array.from({ length: n }, (_, s) => -1 + (2 * s) / (n - 1));
    const coef = curveToCoef(
      x,
      x.map((v) => Math.sin(Math.PI * v)),
      g,
      1,
    );
    const probe = new Rng(54).fillUniform(new Float64Array(50), -1, 1);
    const y = coefToCurve(probe, g, coef, 1);
    for (let s = 0; s < 50; s++) expect(Math.abs(y[s]! - Math.sin(Math.PI * probe[s]!))).toBeLessThan(1e-3);
  });

  it('rejects coefficients that do not match the grid, naming the expected shape', () => {
    expect(() => coefToCurve(new Float64Array(2), grid, new Float64Array(5), nOut)).toThrow(
      `[${nIn}, ${nOut}, ${G + k}]`,
    );
  });
});

describe('extendGrid', () => {
  it('refines G = 5 → 10 and keeps the curves on [lo, hi]', () => {
    const rng = new Rng(55);
    const grid = uniformGrid(2, -1, 2, 5, 3);
    const coef = rng.fillNormal(new Float64Array(2 * 2 * 8));
    const next = extendGrid(grid, coef, 2, 10);
    expect(next.grid.G).toBe(10);
    expect(next.coef.length).toBe(2 * 2 * 13);
    expect(next.grid.knots[3]).toBeCloseTo(-1, 14);
    expect(next.grid.knots[13]).toBeCloseTo(2, 14);
    const probe = rng.fillUniform(new Float64Array(60 * 2), -1, 2);
    const before = coefToCurve(probe, grid, coef, 2);
    const after = coefToCurve(probe, next.grid, next.coef, 2);
    for (let i = 0; i < before.length; i++) expect(after[i]).toBeCloseTo(before[i]!, 5);
  });

  it('can fit on given sample inputs instead of an even spread', () => {
    const rng = new Rng(56);
    const grid = uniformGrid(1, 0, 1, 3, 2);
    const coef = rng.fillNormal(new Float64Array(5));
    const x = rng.fillUniform(new Float64Array(80), 0, 1);
    const next = extendGrid(grid, coef, 1, 6, { x });
    const probe = rng.fillUniform(new Float64Array(30), 0, 1);
    const a = coefToCurve(probe, grid, coef, 1);
    const b = coefToCurve(probe, next.grid, next.coef, 1);
    for (let i = 0; i < 30; i++) expect(b[i]).toBeCloseTo(a[i]!, 4);
  });
});

describe('bsplineEdges', () => {
  const nIn = 3;
  const nOut = 2;
  const G = 5;
  const k = 3;
  const grid = uniformGrid(nIn, -1, 1, G, k);

  it('gives each edge its spline value, matching coefToCurve', () => {
    const rng = new Rng(57);
    const x = randParam(rng, [4, nIn], -1.2, 1.2);
    const coef = randParam(rng, [nIn * nOut, G + k]);
    const y = bsplineEdges(new Tape(), x, coef, grid);
    expect(y.shape).toEqual([4, nIn * nOut]);
    const ref = coefToCurve(x.data, grid, coef.data, nOut);
    for (let i = 0; i < ref.length; i++) expect(y.data[i]).toBeCloseTo(ref[i]!, 14);
  });

  it('has gradients wrt x and coef that match finite differences', () => {
    const rng = new Rng(58);
    const x = randParam(rng, [5, nIn], -0.95, 0.95);
    const coef = randParam(rng, [nIn * nOut, G + k]);
    const w = randConst(rng, [5, nIn * nOut]);
    const r = gradcheck((t) => weightedLoss(t, bsplineEdges(t, x, coef, grid), w), [x, coef]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('gradients are right in the extended region and zero outside the knots', () => {
    const rng = new Rng(59);
    const x = Var.param([-1.3, 1.4, 0.2, -3, 3, 0.5], [2, nIn]);
    const coef = randParam(rng, [nIn * nOut, G + k]);
    const w = randConst(rng, [2, nIn * nOut]);
    const r = gradcheck((t) => weightedLoss(t, bsplineEdges(t, x, coef, grid), w), [x, coef]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    const tape = new Tape();
    tape.backward(weightedLoss(tape, bsplineEdges(tape, x, coef, grid), w));
    expect(x.grad![3]).toBe(0);
    expect(x.grad![4]).toBe(0);
  });

  it('works when only coef needs a gradient', () => {
    const rng = new Rng(60);
    const x = randConst(rng, [3, nIn]);
    const coef = randParam(rng, [nIn * nOut, G + k]);
    const w = randConst(rng, [3, nIn * nOut]);
    expect(gradcheck((t) => weightedLoss(t, bsplineEdges(t, x, coef, grid), w), [coef]).ok).toBe(true);
  });

  it('rejects shapes that do not match the grid', () => {
    const x = Var.constant(new Float64Array(4), [2, 2]);
    const coef = Var.constant(new Float64Array(nIn * nOut * (G + k)), [nIn * nOut, G + k]);
    expect(() => bsplineEdges(new Tape(), x, coef, grid)).toThrow(
      'bsplineEdges: x [2, 2] must be [batch, 3]',
    );
    const x3 = Var.constant(new Float64Array(6), [2, 3]);
    const bad = Var.constant(new Float64Array(nIn * nOut * 7), [nIn * nOut, 7]);
    expect(() => bsplineEdges(new Tape(), x3, bad, grid)).toThrow(ShapeError);
  });
});
