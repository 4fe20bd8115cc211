/**
 * Series forms for an edge that did not snap: a least-squares Chebyshev fit to the canonical
 * samples with the degree raised until the max error meets the tolerance (samples from a KAN are
 * not a callable, and least squares tolerates their noise where interpolation would not), and safe
 * rational fits of a few (m, n) sizes. The cheapest (ops per element) within tolerance wins; when
 * none meets it, the most accurate does.
 */

import { fitRational } from '../../shared/activations/fit.js';
import { type ChebyshevParams, chebyshevForm } from '../../shared/activations/forms/chebyshev.js';
import { type RationalParams, rationalForm } from '../../shared/activations/forms/rational.js';
import { solveLeastSquares } from '../../shared/activations/math.js';

export interface SeriesOptions {
  /** Max |ψ − samples| in canonical units (ψ spans [-1, 1]). @defaultValue 2e-3 */
  readonly tol?: number;
  /** @defaultValue 32 */
  readonly maxDegree?: number;
  /** Rational sizes [numerator degree, denominator degree in z²] tried. */
  readonly rationalSizes?: readonly (readonly [number, number])[];
}

export const SERIES_DEFAULTS = Object.freeze({
  tol: 2e-3,
  maxDegree: 32,
  rationalSizes: [
    [3, 1],
    [4, 2],
    [5, 2],
    [6, 3],
  ] as readonly (readonly [number, number])[],
});

export type SeriesFit =
  | {
      readonly form: 'chebyshev';
      readonly params: ChebyshevParams;
      readonly maxAbs: number;
      readonly ops: number;
    }
  | {
      readonly form: 'rational';
      readonly params: RationalParams;
      readonly maxAbs: number;
      readonly ops: number;
    };

function maxErr(f: (z: number) => number, z: Float64Array, y: Float64Array): number {
  let m = 0;
  for (let i = 0; i < z.length; i++) m = Math.max(m, Math.abs(f(z[i]) - y[i]));
  return Number.isFinite(m) ? m : Infinity;
}

/** Least-squares Chebyshev fit of the smallest degree within tol (or maxDegree). */
export function fitChebyshevSamples(
  z: Float64Array,
  y: Float64Array,
  tol: number,
  maxDegree: number,
): SeriesFit {
  const n = z.length;
  const top = Math.max(1, Math.min(maxDegree, n - 2));
  let best: SeriesFit | null = null;
  for (let deg = 1; deg <= top; deg++) {
    const cols = deg + 1;
    const a = new Float64Array(n * cols);
    for (let i = 0; i < n; i++) {
      a[i * cols] = 1;
      if (cols > 1) a[i * cols + 1] = z[i];
      for (let k = 2; k < cols; k++) a[i * cols + k] = 2 * z[i] * a[i * cols + k - 1] - a[i * cols + k - 2];
    }
    const coeffs = Array.from(solveLeastSquares(a, y, n, cols));
    const params: ChebyshevParams = Object.freeze({ coeffs: Object.freeze(coeffs) });
    const maxAbs = maxErr((t) => chebyshevForm.evaluate(params, t), z, y);
    const fit: SeriesFit = { form: 'chebyshev', params, maxAbs, ops: chebyshevForm.opsPerElement(params) };
    if (best === null || maxAbs < best.maxAbs) best = fit;
    if (maxAbs <= tol) return fit;
  }
  return best as SeriesFit;
}

/** Every candidate series fit; the caller picks with pickSeries. */
export function seriesCandidates(z: Float64Array, y: Float64Array, options: SeriesOptions = {}): SeriesFit[] {
  const o = { ...SERIES_DEFAULTS, ...options };
  const cheb = fitChebyshevSamples(z, y, o.tol, o.maxDegree);
  const out: SeriesFit[] = [cheb];
  for (const [m, q] of o.rationalSizes) {
    // A rational that cannot be cheaper than a Chebyshev fit already within tolerance is not fitted.
    const ops = rationalForm.opsPerElement({ p: new Array(m + 1).fill(0), q: new Array(q).fill(0) });
    if (z.length < m + q + 3 || (cheb.maxAbs <= o.tol && ops >= cheb.ops)) continue;
    const r = fitRational(z, y, { numeratorDegree: m, denominatorDegree: q });
    const maxAbs = maxErr((t) => rationalForm.evaluate(r.params, t), z, y);
    out.push({ form: 'rational', params: r.params, maxAbs, ops: rationalForm.opsPerElement(r.params) });
  }
  return out;
}

/** Cheapest within tol (ties: smaller error), else the most accurate. */
export function pickSeries(fits: readonly SeriesFit[], tol: number): SeriesFit {
  const ok = fits.filter((f) => f.maxAbs <= tol).sort((p, q) => p.ops - q.ops || p.maxAbs - q.maxAbs);
  if (ok.length > 0) return ok[0];
  return [...fits].sort((p, q) => p.maxAbs - q.maxAbs)[0];
}
