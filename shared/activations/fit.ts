/**
 * Fitting the series forms to a canonical shape on [-1, 1].
 *
 * Chebyshev: interpolate at many Chebyshev nodes (a discrete cosine sum), then keep the
 * smallest degree whose max error on a dense grid is within tolerance; truncating the
 * interpolant is within a small factor of the best polynomial of that degree.
 * Rational: Sanathanan–Koerner iterations (the linearised problem P − y·Q = 0 reweighted by
 * 1/Q of the previous pass, with the denominator coefficients held ≥ 0 by an active set),
 * then Levenberg–Marquardt steps on the true residual P/Q − y. Both are written inline so the
 * forms depend on nothing outside this folder.
 */

import type { ChebyshevParams } from './forms/chebyshev.js';
import { chebyshevForm } from './forms/chebyshev.js';
import { type RationalParams, rationalForm } from './forms/rational.js';
import { chebyshevNodes, linspace, solveLeastSquares } from './math.js';

export interface FitError {
  readonly maxAbs: number;
  readonly rms: number;
}

export interface ChebyshevFitOptions {
  /** Max |ψ − f| on the check grid. @defaultValue 1e-6 */
  readonly tol?: number;
  /** @defaultValue 64 */
  readonly maxDegree?: number;
  /** Points of the dense check grid on [-1, 1]. @defaultValue 1001 */
  readonly gridPoints?: number;
}

export const CHEBYSHEV_FIT_DEFAULTS = Object.freeze({ tol: 1e-6, maxDegree: 64, gridPoints: 1001 });

export interface ChebyshevFit {
  readonly params: ChebyshevParams;
  readonly degree: number;
  readonly error: FitError;
  /** False when even maxDegree missed the tolerance (the maxDegree fit is returned). */
  readonly converged: boolean;
}

function errorOn(psi: (z: number) => number, zs: ArrayLike<number>, ys: ArrayLike<number>): FitError {
  let maxAbs = 0;
  let ss = 0;
  for (let i = 0; i < zs.length; i++) {
    const e = psi(zs[i]) - ys[i];
    maxAbs = Math.max(maxAbs, Math.abs(e));
    ss += e * e;
  }
  return { maxAbs, rms: Math.sqrt(ss / zs.length) };
}

/** Fit Σ c_k T_k to f on [-1, 1] with the degree chosen by tolerance (degree ≥ 1). */
export function fitChebyshev(f: (z: number) => number, options: ChebyshevFitOptions = {}): ChebyshevFit {
  const o = { ...CHEBYSHEV_FIT_DEFAULTS, ...options };
  const nodes = Math.max(4 * (o.maxDegree + 1), 128);
  const fx = Array.from(chebyshevNodes(nodes), f);
  const c: number[] = [];
  for (let k = 0; k <= o.maxDegree; k++) {
    let s = 0;
    for (let j = 0; j < nodes; j++) s += fx[j] * Math.cos((k * Math.PI * (j + 0.5)) / nodes);
    c.push(((k === 0 ? 1 : 2) * s) / nodes);
  }
  const grid = linspace(-1, 1, o.gridPoints);
  const truth = Array.from(grid, f);
  let best: ChebyshevFit | null = null;
  for (let n = 1; n <= o.maxDegree; n++) {
    const params: ChebyshevParams = { coeffs: Object.freeze(c.slice(0, n + 1)) };
    const error = errorOn((z) => chebyshevForm.evaluate(params, z), grid, truth);
    best = { params, degree: n, error, converged: error.maxAbs <= o.tol };
    if (best.converged) break;
  }
  return best as ChebyshevFit;
}

export interface RationalFitOptions {
  /** Numerator degree m. @defaultValue 5 */
  readonly numeratorDegree?: number;
  /** Denominator degree in z² (Q has degree 2n). @defaultValue 2 */
  readonly denominatorDegree?: number;
  /** Sanathanan–Koerner passes. @defaultValue 8 */
  readonly skIterations?: number;
  /** Levenberg–Marquardt steps. @defaultValue 40 */
  readonly lmIterations?: number;
}

export const RATIONAL_FIT_DEFAULTS = Object.freeze({
  numeratorDegree: 5,
  denominatorDegree: 2,
  skIterations: 8,
  lmIterations: 40,
});

export interface RationalFit {
  readonly params: RationalParams;
  /** Error on the fitted samples. */
  readonly error: FitError;
}

/** One linearised SK solve: min Σ w²(P − y·Σ e_k z^{2k} − y)², with e_k for k ∉ free fixed at 0. */
function skSolve(z: ArrayLike<number>, y: ArrayLike<number>, w: Float64Array, m: number, free: number[]) {
  const cols = m + 1 + free.length;
  const a = new Float64Array(z.length * cols);
  const rhs = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    let pw = 1;
    for (let j = 0; j <= m; j++, pw *= z[i]) a[i * cols + j] = w[i] * pw;
    free.forEach((k, t) => {
      a[i * cols + m + 1 + t] = -w[i] * y[i] * z[i] ** (2 * k);
    });
    rhs[i] = w[i] * y[i];
  }
  return solveLeastSquares(a, rhs, z.length, cols);
}

function sumSq(r: RationalParams, z: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) s += (rationalForm.evaluate(r, z[i]) - y[i]) ** 2;
  return s;
}

/** Fit P/Q (Q = 1 + Σ e_k z^{2k}, e_k ≥ 0) to samples (z_i, y_i) by least squares. */
export function fitRational(
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  options: RationalFitOptions = {},
): RationalFit {
  const o = { ...RATIONAL_FIT_DEFAULTS, ...options };
  const m = o.numeratorDegree;
  const n = o.denominatorDegree;
  const w = new Float64Array(z.length).fill(1);
  let cur: RationalParams = { p: new Array(m + 1).fill(0), q: new Array(n).fill(0) };
  for (let it = 0; it < o.skIterations; it++) {
    let free = Array.from({ length: n }, (_, k) => k + 1);
    let sol = skSolve(z, y, w, m, free);
    for (let guard = 0; guard < n && free.some((_, t) => sol[m + 1 + t] < 0); guard++) {
      free = free.filter((_, t) => sol[m + 1 + t] >= 0);
      sol = skSolve(z, y, w, m, free);
    }
    const q = new Array(n).fill(0);
    free.forEach((k, t) => {
      q[k - 1] = sol[m + 1 + t];
    });
    const next: RationalParams = { p: Array.from(sol.subarray(0, m + 1)), q };
    if (it > 0 && sumSq(next, z, y) > sumSq(cur, z, y)) break;
    cur = next;
    for (let i = 0; i < z.length; i++) w[i] = 1 / (1 + q.reduce((s, e, k) => s + e * z[i] ** (2 * k + 2), 0));
  }
  cur = levenbergMarquardt(cur, z, y, o.lmIterations);
  const params = Object.freeze({ p: Object.freeze([...cur.p]), q: Object.freeze([...cur.q]) });
  return { params, error: errorOn((t) => rationalForm.evaluate(params, t), z, y) };
}

/** LM on r_i = P(z_i)/Q(z_i) − y_i over (p, e), projecting e ≥ 0 after each step. */
function levenbergMarquardt(
  start: RationalParams,
  z: ArrayLike<number>,
  y: ArrayLike<number>,
  iters: number,
) {
  const m = start.p.length - 1;
  const n = start.q.length;
  const cols = m + 1 + n;
  const rows = z.length + cols;
  let cur = start;
  let cost = sumSq(cur, z, y);
  let lambda = 1e-3;
  for (let it = 0; it < iters; it++) {
    const a = new Float64Array(rows * cols);
    const rhs = new Float64Array(rows);
    for (let i = 0; i < z.length; i++) {
      const zi = z[i];
      const den = 1 + cur.q.reduce((s, e, k) => s + e * zi ** (2 * k + 2), 0);
      const num = cur.p.reduce((s, c, j) => s + c * zi ** j, 0);
      for (let j = 0; j <= m; j++) a[i * cols + j] = zi ** j / den;
      for (let k = 0; k < n; k++) a[i * cols + m + 1 + k] = (-num * zi ** (2 * k + 2)) / (den * den);
      rhs[i] = y[i] - num / den;
    }
    for (let j = 0; j < cols; j++) a[(z.length + j) * cols + j] = Math.sqrt(lambda);
    const step = solveLeastSquares(a, rhs, rows, cols);
    const trial: RationalParams = {
      p: cur.p.map((c, j) => c + step[j]),
      q: cur.q.map((e, k) => Math.max(0, e + step[m + 1 + k])),
    };
    const trialCost = sumSq(trial, z, y);
    if (trialCost < cost) {
      const gain = (cost - trialCost) / Math.max(cost, 1e-300);
      cur = trial;
      cost = trialCost;
      lambda = Math.max(lambda / 3, 1e-12);
      if (gain < 1e-12) break;
    } else lambda *= 4;
  }
  return cur;
}

/** Fit a rational to f on [-1, 1], sampled at Chebyshev nodes plus the endpoints. */
export function fitRationalFunction(
  f: (z: number) => number,
  options: RationalFitOptions & { samples?: number } = {},
) {
  const zs = [-1, ...chebyshevNodes(options.samples ?? 400), 1];
  return fitRational(zs, zs.map(f), options);
}
