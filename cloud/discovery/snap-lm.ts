/**
 * Levenberg–Marquardt refinement of one snap candidate y ≈ c·f(A·t + B) + d on normalised inputs
 * t ∈ [-1, 1], with an analytic Jacobian [f(u), 1, c·f′(u)·t, c·f′(u)] over the free parameters.
 * Zero-residual fits (noise-free samples of a candidate) converge quadratically, which is what
 * recovers constants such as π to many digits. Steps that leave the primitive's safe domain or
 * produce non-finite values are rejected like steps that raise the cost.
 */
import { type Primitive, rangeIsSafe } from '../../shared/activations/primitives.js';

/** Which of the inner affine parameters the family lets LM move (c and d always move). */
export type FreeInner = 'AB' | 'A' | 'B' | 'none';

export interface Affine4 {
  readonly A: number;
  readonly B: number;
  readonly c: number;
  readonly d: number;
}

export interface LmOptions {
  /** @defaultValue 40 */
  readonly iterations?: number;
}

function safe(prim: Primitive, A: number, B: number): boolean {
  return rangeIsSafe(prim, Math.min(B - A, B + A), Math.max(B - A, B + A));
}

function rssOf(prim: Primitive, t: Float64Array, y: Float64Array, p: Affine4): number {
  if (!safe(prim, p.A, p.B)) return Infinity;
  let s = 0;
  for (let i = 0; i < t.length; i++) s += (p.c * prim.f(p.A * t[i] + p.B) + p.d - y[i]) ** 2;
  return Number.isFinite(s) ? s : Infinity;
}

/** Solve the k×k system m·x = v (row-major) by Gaussian elimination with partial pivoting. */
function solveSmall(m: Float64Array, v: Float64Array, k: number): Float64Array | null {
  const a = Float64Array.from(m);
  const b = Float64Array.from(v);
  for (let col = 0; col < k; col++) {
    let piv = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(a[r * k + col]) > Math.abs(a[piv * k + col])) piv = r;
    if (!(Math.abs(a[piv * k + col]) > 1e-300)) return null;
    if (piv !== col) {
      for (let j = 0; j < k; j++) [a[col * k + j], a[piv * k + j]] = [a[piv * k + j], a[col * k + j]];
      [b[col], b[piv]] = [b[piv], b[col]];
    }
    for (let r = col + 1; r < k; r++) {
      const f = a[r * k + col] / a[col * k + col];
      for (let j = col; j < k; j++) a[r * k + j] -= f * a[col * k + j];
      b[r] -= f * b[col];
    }
  }
  const x = new Float64Array(k);
  for (let r = k - 1; r >= 0; r--) {
    let s = b[r];
    for (let j = r + 1; j < k; j++) s -= a[r * k + j] * x[j];
    x[r] = s / a[r * k + r];
  }
  return x;
}

/** Minimise Σ (c·f(A·t + B) + d − y)² from `start`; returns the best point and its RSS. */
export function levenbergMarquardt(
  prim: Primitive,
  free: FreeInner,
  t: Float64Array,
  y: Float64Array,
  start: Affine4,
  options: LmOptions = {},
): Affine4 & { rss: number } {
  const useA = free === 'AB' || free === 'A';
  const useB = free === 'AB' || free === 'B';
  const k = 2 + (useA ? 1 : 0) + (useB ? 1 : 0);
  let cur = start;
  let cost = rssOf(prim, t, y, cur);
  let lambda = 1e-3;
  const jtj = new Float64Array(k * k);
  const jtr = new Float64Array(k);
  const row = new Float64Array(k);
  for (let it = 0; it < (options.iterations ?? 40) && cost > 0 && Number.isFinite(cost); it++) {
    jtj.fill(0);
    jtr.fill(0);
    for (let i = 0; i < t.length; i++) {
      const u = cur.A * t[i] + cur.B;
      const fu = prim.f(u);
      const dfu = cur.c * prim.df(u);
      let j = 0;
      row[j++] = fu;
      row[j++] = 1;
      if (useA) row[j++] = dfu * t[i];
      if (useB) row[j++] = dfu;
      const r = cur.c * fu + cur.d - y[i];
      for (let p = 0; p < k; p++) {
        jtr[p] += row[p] * r;
        for (let q = 0; q < k; q++) jtj[p * k + q] += row[p] * row[q];
      }
    }
    let improved = false;
    for (let tries = 0; tries < 6 && !improved; tries++) {
      const m = Float64Array.from(jtj);
      for (let p = 0; p < k; p++) m[p * k + p] += lambda * Math.max(jtj[p * k + p], 1e-12);
      const step = solveSmall(m, jtr, k);
      if (step === null) break;
      let j = 2;
      const trial: Affine4 = {
        c: cur.c - step[0],
        d: cur.d - step[1],
        A: useA ? cur.A - step[j++] : cur.A,
        B: useB ? cur.B - step[j++] : cur.B,
      };
      const tc = rssOf(prim, t, y, trial);
      if (tc < cost) {
        const gain = (cost - tc) / cost;
        cur = trial;
        cost = tc;
        lambda = Math.max(lambda / 5, 1e-12);
        improved = true;
        if (gain < 1e-10) return { ...cur, rss: cost };
      } else lambda *= 6;
    }
    if (!improved) break;
  }
  return { ...cur, rss: cost };
}
