/**
 * Strong-Wolfe line search along a fixed direction d, for lbfgs.ts: Nocedal & Wright Alg. 3.5
 * (bracketing) and 3.6 (zoom), with safeguarded cubic interpolation; the same scheme as PyTorch's
 * torch.optim.LBFGS and minFunc. It finds t with
 *   f(x + t·d) ≤ f(x) + c1·t·gᵀd        (sufficient decrease)
 *   |g(x + t·d)ᵀd| ≤ c2·|gᵀd|           (curvature)
 */

/** One evaluated point on the line: φ(t) = f(x + t·d), its full gradient and φ′(t) = gᵀd. */
export interface LinePoint {
  readonly t: number;
  readonly f: number;
  readonly g: Float64Array;
  readonly gtd: number;
}

export interface LineSearchOptions {
  readonly c1: number;
  readonly c2: number;
  readonly maxLineSearch: number;
}

/**
 * A line search: evaluates phi at chosen steps starting from t0 and returns the accepted point,
 * or `start` (t = 0) when no step decreased f.
 */
export type LineSearchFn = (
  phi: (t: number) => LinePoint,
  start: LinePoint,
  t0: number,
  options: LineSearchOptions,
) => LinePoint;

/** Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to [lo, hi]. */
function cubicMin(a: LinePoint, b: LinePoint, lo: number, hi: number): number {
  const d1 = a.gtd + b.gtd - (3 * (a.f - b.f)) / (a.t - b.t);
  const sq = d1 * d1 - a.gtd * b.gtd;
  if (sq >= 0 && Number.isFinite(sq)) {
    const d2 = Math.sqrt(sq);
    const t =
      a.t <= b.t
        ? b.t - (b.t - a.t) * ((b.gtd + d2 - d1) / (b.gtd - a.gtd + 2 * d2))
        : a.t - (a.t - b.t) * ((a.gtd + d2 - d1) / (a.gtd - b.gtd + 2 * d2));
    if (Number.isFinite(t)) return Math.min(Math.max(t, lo), hi);
  }
  return (lo + hi) / 2;
}

export const strongWolfe: LineSearchFn = (phi, start, t0, { c1, c2, maxLineSearch }) => {
  const armijoOk = (p: LinePoint): boolean => p.f <= start.f + c1 * p.t * start.gtd;
  const curvatureOk = (p: LinePoint): boolean => Math.abs(p.gtd) <= -c2 * start.gtd;
  let prev = start;
  let cur = phi(t0);
  let evals = 1;
  // Bracketing: grow the step until an interval [lo, hi] must contain an acceptable point.
  let lo: LinePoint;
  let hi: LinePoint;
  for (;;) {
    if (!Number.isFinite(cur.f) || !armijoOk(cur) || (evals > 1 && cur.f >= prev.f)) {
      lo = prev;
      hi = cur;
      break;
    }
    if (curvatureOk(cur)) return cur;
    if (cur.gtd >= 0) {
      lo = cur;
      hi = prev;
      break;
    }
    if (evals >= maxLineSearch) return cur; // still descending: take the longest step tried
    const next = cubicMin(prev, cur, cur.t + 0.01 * (cur.t - prev.t), cur.t * 10);
    prev = cur;
    cur = phi(next);
    evals++;
  }
  // Zoom: shrink [lo, hi] (lo has the lower f) until a point meets both conditions.
  let insufficientProgress = false;
  while (evals < maxLineSearch) {
    const tMin = Math.min(lo.t, hi.t);
    const tMax = Math.max(lo.t, hi.t);
    if (tMax - tMin < 1e-14 * Math.max(1, tMax)) break;
    let t = Number.isFinite(hi.f) ? cubicMin(lo, hi, tMin, tMax) : (lo.t + hi.t) / 2;
    // Keep t away from the ends so the interval shrinks by a fixed fraction (PyTorch's safeguard).
    const margin = 0.1 * (tMax - tMin);
    if (Math.min(tMax - t, t - tMin) < margin) {
      if (insufficientProgress || t >= tMax || t <= tMin) {
        t = Math.abs(t - tMax) < Math.abs(t - tMin) ? tMax - margin : tMin + margin;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }
    const p = phi(t);
    evals++;
    if (!Number.isFinite(p.f) || !armijoOk(p) || p.f >= lo.f) {
      hi = p;
    } else {
      if (curvatureOk(p)) return p;
      if (p.gtd * (hi.t - lo.t) >= 0) hi = lo;
      lo = p;
    }
  }
  return lo.f < start.f ? lo : start;
};
