/**
 * Fast path for cubic B-splines (k = 3, the default) inside the grid's inner range: the four
 * nonzero basis values and their derivatives by the triangular scheme of Piegl & Tiller (The
 * NURBS Book, Alg. A2.2), fully unrolled. Profiling the small KANs of function discovery showed
 * the generic Cox–de Boor window (shared/numeric/bspline.ts basisWindow) taking ~40% of a
 * training step; this does the same work in straight-line code. Points outside [t_3, t_{M−4})
 * return −1 so the caller can fall back to the generic window (which handles the extended
 * knots and clipping).
 *
 *   knots[off … off + M)   one extended knot vector (M = G + 7)
 *   vals/ders[vo … vo + 3] receive B_{first+r}(x) and B′_{first+r}(x)
 */

/** Knot span j with t_j ≤ x < t_{j+1}, searched within [3, M − 5]; −1 outside [t_3, t_{M−4}). */
function innerSpan(x: number, knots: Float64Array, off: number, M: number): number {
  let lo = 3;
  let hi = M - 4;
  if (!(x >= knots[off + lo]! && x < knots[off + hi]!)) return -1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x >= knots[off + mid]!) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Writes the window at x and returns its first basis index (j − 3), or −1 when x is outside. */
export function cubicWindow(
  x: number,
  knots: Float64Array,
  off: number,
  M: number,
  vals: Float64Array,
  ders: Float64Array,
  vo: number,
): number {
  const j = innerSpan(x, knots, off, M);
  if (j < 0) return -1;
  const o = off + j;
  const l1 = x - knots[o]!;
  const l2 = x - knots[o - 1]!;
  const l3 = x - knots[o - 2]!;
  const r1 = knots[o + 1]! - x;
  const r2 = knots[o + 2]! - x;
  const r3 = knots[o + 3]! - x;
  // degree 1: N = [B_{j−1,1}, B_{j,1}]
  let t = 1 / (r1 + l1);
  const a0 = r1 * t;
  const a1 = l1 * t;
  // degree 2: [B_{j−2,2}, B_{j−1,2}, B_{j,2}]
  t = a0 / (r1 + l2);
  const b0 = r1 * t;
  let saved = l2 * t;
  t = a1 / (r2 + l1);
  const b1 = saved + r2 * t;
  const b2 = l1 * t;
  // degree 3
  t = b0 / (r1 + l3);
  vals[vo] = r1 * t;
  saved = l3 * t;
  t = b1 / (r2 + l2);
  vals[vo + 1] = saved + r2 * t;
  saved = l2 * t;
  t = b2 / (r3 + l1);
  vals[vo + 2] = saved + r3 * t;
  vals[vo + 3] = l1 * t;
  // B′_{i,3} = 3·(B_{i,2}/(t_{i+3} − t_i) − B_{i+1,2}/(t_{i+4} − t_{i+1})), i = j − 3 + r
  const q0 = b0 / (r1 + l3); // B_{j−2,2}/(t_{j+1} − t_{j−2})
  const q1 = b1 / (r2 + l2); // B_{j−1,2}/(t_{j+2} − t_{j−1})
  const q2 = b2 / (r3 + l1); // B_{j,2}/(t_{j+3} − t_j)
  ders[vo] = -3 * q0;
  ders[vo + 1] = 3 * (q0 - q1);
  ders[vo + 2] = 3 * (q1 - q2);
  ders[vo + 3] = 3 * q2;
  return j - 3;
}
