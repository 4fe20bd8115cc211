/**
 * B-splines for KAN edges, after pykan's kan/spline.py: pure functions over typed arrays.
 *
 * Notation (pykan's): G intervals on [lo, hi], spline degree k (pykan calls it the order;
 * k = 3 is cubic). The knot vector is uniform with spacing h = (hi − lo)/G and is extended by k
 * knots on each side, so it has M = G + 2k + 1 knots t_0 … t_{M−1} with t_k = lo, t_{G+k} = hi,
 * and there are G + k basis functions B_0 … B_{G+k−1}. Every input dimension has its own knot
 * vector (a grid update may move one input's knots without touching the others).
 *
 * Basis values use the Cox–de Boor recursion restricted to the k + 1 functions that can be
 * nonzero at x, so one evaluation costs O(k²) regardless of G. Outside [t_0, t_{M−1}) every
 * basis function is 0, as in pykan.
 *
 * Layouts (row-major):
 *   x     [batch, nIn]            inputs
 *   knots [nIn, G + 2k + 1]       one extended knot vector per input
 *   coef  [nIn, nOut, G + k]      edge (i → j) is row i·nOut + j, i.e. [nIn·nOut, G + k]
 *   y     [batch, nIn, nOut]      each edge's value, i.e. [batch, nIn·nOut]
 */
import { ShapeError } from '../errors.js';
import { leastSquares } from './linalg.js';

/** Knots of every input of a KAN layer, with the sizes needed to read them. */
export interface SplineGrid {
  /** Extended knot vectors, row-major [nIn, G + 2k + 1]. */
  readonly knots: Float64Array;
  readonly nIn: number;
  /** Intervals between lo and hi. */
  readonly G: number;
  /** Spline degree (pykan's k; 3 = cubic). */
  readonly k: number;
}

/** Number of basis functions per input: G + k. */
export function numBasis(grid: SplineGrid): number {
  return grid.G + grid.k;
}

/**
 * Uniform extended knot vector for G intervals on [lo, hi] with degree k.
 * @returns [G + 2k + 1] with t_i = lo + (i − k)·(hi − lo)/G.
 * @example uniformKnots(-1, 1, 2, 1) // [-2, -1, 0, 1, 2]
 */
export function uniformKnots(lo: number, hi: number, G: number, k: number): Float64Array {
  if (!Number.isInteger(G) || G < 1) throw new ShapeError(`uniformKnots: G must be an integer ≥ 1, got ${G}`);
  if (!Number.isInteger(k) || k < 0) throw new ShapeError(`uniformKnots: k must be an integer ≥ 0, got ${k}`);
  if (!(hi > lo)) throw new ShapeError(`uniformKnots: need lo < hi, got [${lo}, ${hi}]`);
  const h = (hi - lo) / G;
  const t = new Float64Array(G + 2 * k + 1);
  for (let i = 0; i < t.length; i++) t[i] = lo + (i - k) * h;
  return t;
}

/** The same uniform knot vector on [lo, hi] for each of nIn inputs. */
export function uniformGrid(nIn: number, lo: number, hi: number, G: number, k: number): SplineGrid {
  const row = uniformKnots(lo, hi, G, k);
  const knots = new Float64Array(nIn * row.length);
  for (let i = 0; i < nIn; i++) knots.set(row, i * row.length);
  return { knots, nIn, G, k };
}

/** Knot span j with t_j ≤ x < t_{j+1} in knots[off, off + M); −1 when x is outside [t_0, t_{M−1}). */
function findSpan(x: number, knots: Float64Array, off: number, M: number): number {
  if (!(x >= knots[off]! && x < knots[off + M - 1]!)) return -1;
  let lo = 0;
  let hi = M - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x >= knots[off + mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Low-level kernel behind every function here and the bsplineEdges op.
 * The k + 1 basis functions that can be nonzero at x: writes vals[vo + r] = B_{first+r}(x) and,
 * when ders is given, ders[vo + r] = B′_{first+r}(x), for r = 0 … k. Entries whose index falls
 * outside [0, M − k − 1) are 0. Returns `first` (it may be negative near the ends; callers clip).
 * `work` is scratch of length ≥ M, indexed by basis number; nothing is allocated.
 */
export function basisWindow(
  x: number,
  knots: Float64Array,
  off: number,
  M: number,
  k: number,
  work: Float64Array,
  vals: Float64Array,
  ders: Float64Array | null,
  vo: number,
): number {
  for (let r = 0; r <= k; r++) vals[vo + r] = 0;
  if (ders) for (let r = 0; r <= k; r++) ders[vo + r] = 0;
  const j = findSpan(x, knots, off, M);
  if (j < 0) return 0; // all zero; any in-range window will do
  const first = j - k;
  work[j] = 1; // degree 0: B_{j,0} = 1 on [t_j, t_{j+1})
  for (let d = 1; d <= k; d++) {
    // Level d from level d − 1, in place and ascending: work[i] is read before it is replaced and
    // work[i + 1] is still level d − 1. B_{i,d−1} is nonzero only for i in [j − d + 1, j].
    const lo = Math.max(0, j - d);
    const hi = Math.min(j, M - 2 - d);
    for (let i = lo; i <= hi; i++) {
      const left = i >= j - d + 1 ? work[i]! : 0;
      const right = i + 1 <= j ? work[i + 1]! : 0;
      const ti = knots[off + i]!;
      const ti1 = knots[off + i + 1]!;
      const tid = knots[off + i + d]!;
      const tid1 = knots[off + i + d + 1]!;
      const wl = tid > ti ? left / (tid - ti) : 0;
      const wr = tid1 > ti1 ? right / (tid1 - ti1) : 0;
      // B′_{i,k} = k·(B_{i,k−1}/(t_{i+k} − t_i) − B_{i+1,k−1}/(t_{i+k+1} − t_{i+1}))
      if (d === k && ders) ders[vo + i - first] = k * (wl - wr);
      work[i] = (x - ti) * wl + (tid1 - x) * wr;
    }
  }
  const rLo = Math.max(0, -first);
  const rHi = Math.min(k, M - k - 2 - first);
  for (let r = rLo; r <= rHi; r++) vals[vo + r] = work[first + r]!;
  return first;
}

/**
 * Dense basis matrix for a batch of inputs on one knot vector (pykan's B_batch for one input).
 *
 * @param x     [batch] inputs.
 * @param knots [M] one extended knot vector (M = G + 2k + 1).
 * @param k     degree.
 * @param out   [batch, M − k − 1] receives B_c(x_b).
 * @param dout  optional [batch, M − k − 1] receives dB_c/dx at x_b.
 */
export function basisInto(
  x: Float64Array,
  knots: Float64Array,
  k: number,
  out: Float64Array,
  dout?: Float64Array,
): void {
  const M = knots.length;
  const nb = M - k - 1;
  if (nb < 1) throw new ShapeError(`basisInto: ${M} knots are too few for degree ${k}`);
  if (out.length !== x.length * nb || (dout && dout.length !== out.length)) {
    throw new ShapeError(`basisInto: output must be [${x.length}, ${nb}], got ${out.length} values`);
  }
  const work = new Float64Array(M);
  const vals = new Float64Array(k + 1);
  const ders = dout ? new Float64Array(k + 1) : null;
  out.fill(0);
  dout?.fill(0);
  for (let b = 0; b < x.length; b++) {
    const first = basisWindow(x[b]!, knots, 0, M, k, work, vals, ders, 0);
    const rLo = Math.max(0, -first);
    const rHi = Math.min(k, nb - 1 - first);
    for (let r = rLo; r <= rHi; r++) {
      out[b * nb + first + r] = vals[r]!;
      if (dout) dout[b * nb + first + r] = ders![r]!;
    }
  }
}

/** Check x [batch, nIn] and coef [nIn·nOut, G + k] against a grid; returns [batch, nOut]. */
export function checkSplineShapes(
  op: string,
  xLength: number,
  coefLength: number,
  grid: SplineGrid,
  nOut: number,
): [number, number] {
  const { nIn, G, k } = grid;
  if (grid.knots.length !== nIn * (G + 2 * k + 1)) {
    throw new ShapeError(
      `${op}: knots hold ${grid.knots.length} values, expected [${nIn}, ${G + 2 * k + 1}]`,
    );
  }
  if (xLength % nIn !== 0) throw new ShapeError(`${op}: ${xLength} inputs do not form [batch, ${nIn}]`);
  if (coefLength !== nIn * nOut * (G + k)) {
    throw new ShapeError(`${op}: coef holds ${coefLength} values, expected [${nIn}, ${nOut}, ${G + k}]`);
  }
  return [xLength / nIn, nOut];
}

/**
 * Evaluate every edge's spline (pykan's coef2curve).
 *
 * @param x    [batch, nIn]
 * @param coef [nIn, nOut, G + k]
 * @returns    [batch, nIn, nOut], y[b, i, j] = Σ_c coef[i, j, c]·B_c(x[b, i]; knots_i)
 */
export function coefToCurve(
  x: Float64Array,
  grid: SplineGrid,
  coef: Float64Array,
  nOut: number,
): Float64Array {
  const [batch] = checkSplineShapes('coefToCurve', x.length, coef.length, grid, nOut);
  const { nIn, k } = grid;
  const M = grid.G + 2 * k + 1;
  const nb = grid.G + k;
  const work = new Float64Array(M);
  const vals = new Float64Array(k + 1);
  const y = new Float64Array(batch * nIn * nOut);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < nIn; i++) {
      const first = basisWindow(x[b * nIn + i]!, grid.knots, i * M, M, k, work, vals, null, 0);
      const rLo = Math.max(0, -first);
      const rHi = Math.min(k, nb - 1 - first);
      for (let j = 0; j < nOut; j++) {
        const row = (i * nOut + j) * nb + first;
        let s = 0;
        for (let r = rLo; r <= rHi; r++) s += coef[row + r]! * vals[r]!;
        y[(b * nIn + i) * nOut + j] = s;
      }
    }
  }
  return y;
}

/**
 * Fit coefficients so each edge's spline matches sampled values (pykan's curve2coef):
 * per input i, a ridge least-squares fit of y[:, i, j] on the basis of x[:, i].
 *
 * @param x     [batch, nIn] sample inputs; they should cover each input's [lo, hi].
 * @param y     [batch, nIn, nOut] target edge values.
 * @param ridge added to the diagonal of BᵀB, keeps fits with few samples solvable. @defaultValue 1e-8
 * @returns     coef [nIn, nOut, G + k]
 */
export function curveToCoef(
  x: Float64Array,
  y: Float64Array,
  grid: SplineGrid,
  nOut: number,
  ridge = 1e-8,
): Float64Array {
  const { nIn, G, k } = grid;
  const nb = G + k;
  const M = G + 2 * k + 1;
  const [batch] = checkSplineShapes('curveToCoef', x.length, nIn * nOut * nb, grid, nOut);
  if (y.length !== batch * nIn * nOut) {
    throw new ShapeError(`curveToCoef: y holds ${y.length} values, expected [${batch}, ${nIn}, ${nOut}]`);
  }
  const coef = new Float64Array(nIn * nOut * nb);
  const col = new Float64Array(batch);
  const A = new Float64Array(batch * nb);
  const Y = new Float64Array(batch * nOut);
  for (let i = 0; i < nIn; i++) {
    for (let b = 0; b < batch; b++) col[b] = x[b * nIn + i]!;
    basisInto(col, grid.knots.subarray(i * M, (i + 1) * M), k, A);
    for (let b = 0; b < batch; b++)
      for (let j = 0; j < nOut; j++) Y[b * nOut + j] = y[(b * nIn + i) * nOut + j]!;
    const X = leastSquares(A, batch, nb, Y, ridge); // [nb, nOut]
    for (let j = 0; j < nOut; j++)
      for (let c = 0; c < nb; c++) coef[(i * nOut + j) * nb + c] = X[c * nOut + j]!;
  }
  return coef;
}

/** Options for extendGrid. */
export interface ExtendGridOptions {
  /**
   * Sample inputs [batch, nIn] to fit on (for example the training inputs). When absent, each
   * input gets `points` evenly spaced samples over its [lo, hi].
   */
  readonly x?: Float64Array;
  /** Evenly spaced samples per input when x is absent. @defaultValue max(64, 4·(newG + k)) */
  readonly points?: number;
  /** Ridge of the refit. @defaultValue 1e-8 */
  readonly ridge?: number;
}

/**
 * Grid extension (KAN paper §2.4): a finer uniform grid with newG intervals on each input's
 * same [lo, hi], with coefficients fitted so the new curves match the old ones. When newG is a
 * multiple of G the old curve is exactly representable and the fit only loses the ridge bias.
 *
 * @param coef [nIn, nOut, G + k] on the old grid.
 * @returns the new grid and coef [nIn, nOut, newG + k].
 */
export function extendGrid(
  grid: SplineGrid,
  coef: Float64Array,
  nOut: number,
  newG: number,
  options: ExtendGridOptions = {},
): { grid: SplineGrid; coef: Float64Array } {
  const { nIn, G, k } = grid;
  const M = G + 2 * k + 1;
  checkSplineShapes('extendGrid', nIn, coef.length, grid, nOut);
  const newM = newG + 2 * k + 1;
  const knots = new Float64Array(nIn * newM);
  for (let i = 0; i < nIn; i++) {
    knots.set(uniformKnots(grid.knots[i * M + k]!, grid.knots[i * M + G + k]!, newG, k), i * newM);
  }
  let x = options.x;
  if (!x) {
    const points = options.points ?? Math.max(64, 4 * (newG + k));
    x = new Float64Array(points * nIn);
    for (let i = 0; i < nIn; i++) {
      const lo = grid.knots[i * M + k]!;
      const hi = grid.knots[i * M + G + k]!;
      for (let s = 0; s < points; s++) x[s * nIn + i] = lo + ((hi - lo) * s) / (points - 1);
    }
  }
  const y = coefToCurve(x, grid, coef, nOut);
  const next: SplineGrid = { knots, nIn, G: newG, k };
  return { grid: next, coef: curveToCoef(x, y, next, nOut, options.ridge ?? 1e-8) };
}
