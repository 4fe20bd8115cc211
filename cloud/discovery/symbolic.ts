/**
 * Symbolic snapping of one KAN edge (pykan's suggest_symbolic, made faster and deterministic):
 * fit samples (x, y) by y ≈ c·f(a·x + b) + d for each candidate f and pick a closed form when
 * one explains the edge.
 *
 * Per candidate, in normalised input t = (x − mid)/half ∈ [-1, 1] (so one grid serves any
 * window): a grid over the free affine parameters with c, d solved in closed form (linear
 * regression) at every point on ≤ 48 subsampled points, then Levenberg–Marquardt on (c, d, A, B)
 * from the best few grid points. Families use only the parameters that are not redundant
 * (c·(t+B)² needs no A; exp(A·t) needs no B), which keeps the search small and the constants
 * identifiable. inv, sqrt and log keep A·t + B inside their safe domain over the data: an LM step
 * that leaves it is rejected.
 *
 * Choice rule (documented contract): a candidate is accepted when R² ≥ r2Accept (0.9999). The
 * chosen fit is the accepted one of lowest complexity (pykan's scores, primitives.ts); among equal
 * complexity the earlier candidate in SNAP_CANDIDATES wins unless another has less than half its
 * unexplained variance 1 − R² (so a near-flat cos does not steal a parabola). Nothing accepted:
 * chosen is null and the edge stays a spline.
 */
import { SYMBOLIC_TABLE, type SymbolicName } from '../../shared/activations/forms/symbolic.js';
import { PRIMITIVES, type Primitive, rangeIsSafe } from '../../shared/activations/primitives.js';
import { FAMILIES, type Family } from './snap-families.js';
import { levenbergMarquardt } from './snap-lm.js';

export interface SnapFit {
  readonly fn: SymbolicName;
  /** y ≈ c·f(a·x + b) + d in the edge's own input coordinates. */
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  /** Coefficient of determination on all samples. */
  readonly r2: number;
  readonly rmse: number;
  /** pykan's complexity score of f (lower is simpler). */
  readonly complexity: number;
}

export interface SnapOptions {
  /** Candidate names, in preference order for ties. @defaultValue SNAP_CANDIDATES */
  readonly candidates?: readonly SymbolicName[];
  /** Minimum R² for a candidate to be accepted. @defaultValue 0.9999 */
  readonly r2Accept?: number;
  /** Points used by the grid search. @defaultValue 48 */
  readonly gridPoints?: number;
  /** Points used by the refinement. @defaultValue 128 */
  readonly refinePoints?: number;
  /** Grid starts refined per candidate. @defaultValue 3 */
  readonly starts?: number;
}

export const SNAP_DEFAULTS = Object.freeze({
  r2Accept: 0.9999,
  gridPoints: 48,
  refinePoints: 128,
  starts: 3,
});

export const SNAP_CANDIDATES: readonly SymbolicName[] = Object.freeze([
  'x',
  'x2',
  'x3',
  'x4',
  'inv',
  'sqrt',
  'exp',
  'log',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'gauss',
  'abs',
  'arctan',
]);

export interface SnapResult {
  /** Every fitted candidate: accepted ones in choice order, then the rest by R². */
  readonly ranked: readonly SnapFit[];
  readonly chosen: SnapFit | null;
  /** True when y is constant over the samples (nothing to snap; the edge is a constant). */
  readonly constant: boolean;
}

/** The primitive behind a symbolic name. */
export function snapPrimitive(fn: SymbolicName): Primitive {
  return PRIMITIVES[SYMBOLIC_TABLE[fn]];
}

/** φ(x) = c·f(a·x + b) + d of a fit. */
export function evalSnap(fit: Pick<SnapFit, 'fn' | 'a' | 'b' | 'c' | 'd'>, x: number): number {
  return fit.c * snapPrimitive(fit.fn).f(fit.a * x + fit.b) + fit.d;
}

/** Evenly spaced indices into the sorted samples, at most `max` of them. */
function subsample(t: Float64Array, y: Float64Array, max: number): { t: Float64Array; y: Float64Array } {
  const n = t.length;
  if (n <= max) return { t, y };
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => t[p] - t[q] || p - q);
  const ts = new Float64Array(max);
  const ys = new Float64Array(max);
  for (let k = 0; k < max; k++) {
    const i = order[Math.round((k * (n - 1)) / (max - 1))];
    ts[k] = t[i];
    ys[k] = y[i];
  }
  return { t: ts, y: ys };
}

let scratch = new Float64Array(256);

/** Closed-form c, d for fixed (A, B) and the residual sum of squares; null outside the domain. */
export function solveCD(
  prim: Primitive,
  t: Float64Array,
  y: Float64Array,
  A: number,
  B: number,
): { c: number; d: number; rss: number } | null {
  const lo = Math.min(A * -1 + B, A + B);
  const hi = Math.max(A * -1 + B, A + B);
  if (!rangeIsSafe(prim, lo, hi)) return null;
  const n = t.length;
  let mg = 0;
  let my = 0;
  if (scratch.length < n) scratch = new Float64Array(n);
  const g = scratch;
  for (let i = 0; i < n; i++) {
    g[i] = prim.f(A * t[i] + B);
    mg += g[i];
    my += y[i];
  }
  mg /= n;
  my /= n;
  let sgg = 0;
  let sgy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sgg += (g[i] - mg) ** 2;
    sgy += (g[i] - mg) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (!Number.isFinite(sgg) || !Number.isFinite(sgy)) return null;
  if (!(sgg > 1e-300)) return { c: 0, d: my, rss: syy };
  const c = sgy / sgg;
  return { c, d: my - c * mg, rss: Math.max(syy - (sgy * sgy) / sgg, 0) };
}

/** Fit one candidate on normalised inputs; returns (A, B, c, d) and its RSS on the refine set. */
function fitFamily(
  fam: Family,
  grid: { t: Float64Array; y: Float64Array },
  fine: { t: Float64Array; y: Float64Array },
  starts: number,
) {
  const prim = snapPrimitive(fam.name);
  const scored: { A: number; B: number; rss: number; key: number }[] = [];
  for (const [A, B, key] of fam.grid) {
    const s = solveCD(prim, grid.t, grid.y, A, B);
    if (s !== null && Number.isFinite(s.rss)) scored.push({ A, B, rss: s.rss, key });
  }
  scored.sort((p, q) => p.rss - q.rss || p.key - q.key);
  const picked: typeof scored = [];
  const keys = new Set<number>();
  for (const s of scored) {
    if (picked.length >= starts || (picked.length > 0 && s.rss > 10 * picked[0].rss + 1e-300)) break;
    if (keys.has(s.key)) continue; // diversify: one start per grid row
    keys.add(s.key);
    picked.push(s);
  }
  let best: { A: number; B: number; c: number; d: number; rss: number } | null = null;
  for (const s of picked) {
    const cd = solveCD(prim, fine.t, fine.y, s.A, s.B);
    if (cd === null) continue;
    const r = levenbergMarquardt(prim, fam.free, fine.t, fine.y, { A: s.A, B: s.B, c: cd.c, d: cd.d });
    if (best === null || r.rss < best.rss) best = r;
  }
  return best;
}

/** Fit every candidate to samples (x, y) of one edge and choose a closed form, or none. */
export function snapEdge(x: ArrayLike<number>, y: ArrayLike<number>, options: SnapOptions = {}): SnapResult {
  const o = { ...SNAP_DEFAULTS, ...options };
  const n = Math.min(x.length, y.length);
  let lo = Infinity;
  let hi = -Infinity;
  let my = 0;
  for (let i = 0; i < n; i++) {
    lo = Math.min(lo, x[i]);
    hi = Math.max(hi, x[i]);
    my += y[i] / n;
  }
  let sst = 0;
  for (let i = 0; i < n; i++) sst += (y[i] - my) ** 2;
  if (n < 3 || !(hi > lo) || !(sst > 1e-24 * Math.max(1, my * my) * n)) {
    return { ranked: [], chosen: null, constant: true };
  }
  const mid = (hi + lo) / 2;
  const half = (hi - lo) / 2;
  const t = Float64Array.from({ length: n }, (_, i) => Math.min(1, Math.max(-1, (x[i] - mid) / half)));
  const ys = Float64Array.from({ length: n }, (_, i) => y[i]);
  const grid = subsample(t, ys, o.gridPoints);
  const fine = subsample(t, ys, o.refinePoints);
  const names = o.candidates ?? SNAP_CANDIDATES;
  const fits: SnapFit[] = [];
  const raws = new Map<SymbolicName, ReturnType<typeof fitFamily>>();
  const rawFit = (name: SymbolicName) => {
    if (!raws.has(name)) raws.set(name, fitFamily(FAMILIES[name], grid, fine, o.starts));
    return raws.get(name) ?? null;
  };
  for (const name of names) {
    const fam = FAMILIES[name];
    const from = fam.derive ? rawFit(fam.derive.from) : null;
    const r = fam.derive ? from && fam.derive.map(from) : rawFit(name);
    if (r === null) continue;
    const prim = snapPrimitive(name);
    // Back to x: A·t + B = (A/half)·x + (B − A·mid/half); then the family's readable normal form.
    const raw = { a: r.A / half, b: r.B - (r.A * mid) / half, c: r.c, d: r.d };
    const nf = fam.normalise(raw);
    let rss = 0;
    for (let i = 0; i < n; i++) rss += (nf.c * prim.f(nf.a * x[i] + nf.b) + nf.d - y[i]) ** 2;
    if (!Number.isFinite(rss)) continue;
    fits.push({ fn: name, ...nf, r2: 1 - rss / sst, rmse: Math.sqrt(rss / n), complexity: prim.complexity });
  }
  return chooseFit(fits, o.r2Accept, names);
}

/** The documented choice rule (see the file header). */
export function chooseFit(
  fits: readonly SnapFit[],
  r2Accept: number,
  order: readonly SymbolicName[],
): SnapResult {
  const pos = (f: SnapFit) => order.indexOf(f.fn);
  const accepted = fits
    .filter((f) => f.r2 >= r2Accept)
    .sort((p, q) => p.complexity - q.complexity || pos(p) - pos(q));
  let chosen: SnapFit | null = null;
  for (const f of accepted) {
    if (chosen === null) chosen = f;
    else if (f.complexity === chosen.complexity && 1 - f.r2 < 0.5 * (1 - chosen.r2)) chosen = f;
  }
  const rest = fits.filter((f) => f.r2 < r2Accept).sort((p, q) => q.r2 - p.r2 || pos(p) - pos(q));
  const acceptedOrdered = chosen ? [chosen, ...accepted.filter((f) => f !== chosen)] : accepted;
  return { ranked: [...acceptedOrdered, ...rest], chosen, constant: false };
}
