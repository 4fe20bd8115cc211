import { describe, expect, it } from 'vitest';
import { NumericError, ShapeError } from '../../../shared/errors.js';
import { cholesky, choleskySolveInPlace, gram, leastSquares, solve } from '../../../shared/numeric/linalg.js';
import { Rng } from '../../../shared/numeric/rng.js';

function matVec(A: Float64Array, m: number, n: number, x: Float64Array): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[i] += A[i * n + j]! * x[j]!;
  return y;
}

function randomSpd(rng: Rng, n: number): Float64Array {
  const B = rng.fillNormal(new Float64Array(n * n));
  return gram(B, n, n, 0.5);
}

describe('cholesky', () => {
  it('factors an SPD matrix so that L·Lᵀ = A', () => {
    const n = 6;
    const A = randomSpd(new Rng(40), n);
    const L = cholesky(A, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < n; p++) s += L[i * n + p]! * L[j * n + p]!;
        expect(s).toBeCloseTo(A[i * n + j]!, 12);
        if (j > i) expect(L[i * n + j]).toBe(0);
      }
    }
  });

  it('solves with several right-hand sides', () => {
    const n = 5;
    const rng = new Rng(41);
    const A = randomSpd(rng, n);
    const X = rng.fillNormal(new Float64Array(n * 2));
    const B = new Float64Array(n * 2);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 2; c++) for (let j = 0; j < n; j++) B[i * 2 + c] += A[i * n + j]! * X[j * 2 + c]!;
    const got = choleskySolveInPlace(cholesky(A, n), n, B);
    for (let i = 0; i < X.length; i++) expect(got[i]).toBeCloseTo(X[i]!, 10);
  });

  it('throws NumericError for an indefinite matrix', () => {
    expect(() => cholesky(Float64Array.of(1, 2, 2, 1), 2)).toThrow(NumericError);
    expect(() => cholesky(Float64Array.of(1, 2, 3), 2)).toThrow(ShapeError);
  });
});

describe('solve', () => {
  it('solves a general system that needs pivoting', () => {
    const A = Float64Array.of(0, 2, 1, 1, 1, 0, 3, 0, 1);
    const x = Float64Array.of(1, -2, 3);
    const got = solve(A, 3, matVec(A, 3, 3, x));
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(x[i]!, 13);
    expect([...A]).toEqual([0, 2, 1, 1, 1, 0, 3, 0, 1]); // inputs untouched
  });

  it('throws NumericError for a singular matrix', () => {
    expect(() => solve(Float64Array.of(1, 2, 2, 4), 2, Float64Array.of(1, 1))).toThrow(NumericError);
  });
});

describe('leastSquares', () => {
  it('recovers exact coefficients from an overdetermined consistent system', () => {
    const rng = new Rng(42);
    const m = 30;
    const n = 4;
    const A = rng.fillNormal(new Float64Array(m * n));
    const x = Float64Array.of(0.5, -1, 2, 3);
    const got = leastSquares(A, m, n, matVec(A, m, n, x));
    for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(x[i]!, 10);
  });

  it('fits a line through noisy points to the known closed form', () => {
    const xs = [0, 1, 2, 3];
    const ys = [1, 3, 2, 5];
    const A = Float64Array.from(xs.flatMap((x) => [1, x]));
    const [b, a] = leastSquares(A, 4, 2, Float64Array.from(ys));
    // slope = Σ(x − x̄)(y − ȳ)/Σ(x − x̄)² = 5.5/5 = 1.1, intercept = ȳ − slope·x̄ = 2.75 − 1.65
    expect(a).toBeCloseTo(1.1, 12);
    expect(b).toBeCloseTo(1.1, 12);
  });

  it('solves rank-deficient systems only with a ridge, which shrinks the solution', () => {
    const A = Float64Array.of(1, 1, 2, 2, 3, 3); // two identical columns
    const y = Float64Array.of(2, 4, 6);
    expect(() => leastSquares(A, 3, 2, y)).toThrow(NumericError);
    const x = leastSquares(A, 3, 2, y, 1e-6);
    expect(x[0]).toBeCloseTo(1, 5);
    expect(x[1]).toBeCloseTo(1, 5);
    const big = leastSquares(A, 3, 2, y, 100);
    expect(big[0]! + big[1]!).toBeLessThan(1.5);
  });

  it('fits several targets at once: y [m, r] → x [n, r]', () => {
    const A = Float64Array.of(1, 0, 0, 1, 1, 1);
    const Y = Float64Array.of(1, 2, 3, 4, 4, 6); // columns: x=(1,3) and x=(2,4)
    const X = leastSquares(A, 3, 2, Y);
    expect([...X].map((v) => Math.round(v * 1e9) / 1e9)).toEqual([1, 2, 3, 4]);
    expect(() => leastSquares(A, 3, 2, Float64Array.of(1, 2))).toThrow(ShapeError);
  });
});
