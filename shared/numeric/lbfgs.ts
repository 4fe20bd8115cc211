/**
 * L-BFGS (Nocedal & Wright, Numerical Optimization, Alg. 7.4/7.5) over a flat parameter vector,
 * the optimiser pykan uses to fit KANs. The line search is either strong Wolfe (N&W Alg. 3.5/3.6
 * with cubic interpolation, as in PyTorch's torch.optim.LBFGS) or Armijo backtracking.
 *
 * @example
 *   const res = lbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, Float64Array.of(0));
 *   res.x[0]; // ≈ 3
 */
import { InputError } from '../errors.js';
import { type LinePoint, type LineSearchFn, strongWolfe } from './line-search.js';

/** Writes ∇f(x) into grad (length n) and returns f(x). Must not keep references to x or grad. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export type LineSearchKind = 'strong-wolfe' | 'armijo';

export interface LbfgsOptions {
  /** Number of (s, y) correction pairs kept. @defaultValue 10 */
  readonly history: number;
  /** Outer iterations at most. @defaultValue 200 */
  readonly maxIterations: number;
  /** Converged when max |∂f/∂xᵢ| ≤ gradTol. @defaultValue 1e-10 */
  readonly gradTol: number;
  /** Converged when |f_{k+1} − f_k| ≤ lossTol·max(1, |f_k|). @defaultValue 1e-16 */
  readonly lossTol: number;
  /** Converged when the step max |Δxᵢ| ≤ stepTol. @defaultValue 1e-14 */
  readonly stepTol: number;
  /** @defaultValue 'strong-wolfe' */
  readonly lineSearch: LineSearchKind;
  /** Sufficient-decrease constant (Armijo). @defaultValue 1e-4 */
  readonly c1: number;
  /** Curvature constant (strong Wolfe). @defaultValue 0.9 */
  readonly c2: number;
  /** Function evaluations per line search at most. @defaultValue 25 */
  readonly maxLineSearch: number;
}

export const LBFGS_DEFAULTS: Readonly<LbfgsOptions> = Object.freeze({
  history: 10,
  maxIterations: 200,
  gradTol: 1e-10,
  lossTol: 1e-16,
  stepTol: 1e-14,
  lineSearch: 'strong-wolfe',
  c1: 1e-4,
  c2: 0.9,
  maxLineSearch: 25,
});

export interface LbfgsResult {
  /** The best point found (a new array; x0 is not modified). */
  readonly x: Float64Array;
  readonly loss: number;
  readonly iterations: number;
  /** Calls of the objective, line searches included. */
  readonly evaluations: number;
  /** True when a tolerance was met; false when iterations ran out or no descent step was found. */
  readonly converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Armijo backtracking: halve t until f(x + t·d) ≤ f + c1·t·gᵀd. */
const armijo: LineSearchFn = (phi, start, t, o) => {
  let p = phi(t);
  for (let i = 1; i < o.maxLineSearch && !(p.f <= start.f + o.c1 * t * start.gtd); i++) {
    t *= 0.5;
    p = phi(t);
  }
  return p.f <= start.f + o.c1 * t * start.gtd ? p : start;
};

/** Minimise f from x0. */
export function lbfgs(f: Objective, x0: Float64Array, options: Partial<LbfgsOptions> = {}): LbfgsResult {
  const o: LbfgsOptions = { ...LBFGS_DEFAULTS, ...options };
  if (!Number.isInteger(o.history) || o.history < 1)
    throw new InputError(`lbfgs: history must be ≥ 1, got ${o.history}`);
  if (!(o.c1 > 0 && o.c1 < o.c2 && o.c2 < 1)) {
    throw new InputError(`lbfgs: need 0 < c1 < c2 < 1, got c1=${o.c1}, c2=${o.c2}`);
  }
  const n = x0.length;
  const m = o.history;
  const search = o.lineSearch === 'armijo' ? armijo : strongWolfe;
  const x = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(n);
  let loss = f(x, g);
  let evaluations = 1;
  // Ring buffer of correction pairs s = Δx, y = Δg, and ρ = 1/(yᵀs).
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m);
  const alpha = new Float64Array(m);
  let count = 0;
  let head = 0;
  let gamma = 1; // initial Hessian scaling sᵀy/yᵀy
  const d = new Float64Array(n);
  const xt = new Float64Array(n);
  let converged = maxAbs(g) <= o.gradTol;
  let iterations = 0;

  while (!converged && iterations < o.maxIterations) {
    iterations++;
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let c = 0; c < count; c++) {
      const idx = (head - 1 - c + m) % m;
      alpha[idx] = rho[idx]! * dot(S[idx]!, d);
      const y = Y[idx]!;
      for (let i = 0; i < n; i++) d[i] -= alpha[idx]! * y[i]!;
    }
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let c = count - 1; c >= 0; c--) {
      const idx = (head - 1 - c + m) % m;
      const beta = rho[idx]! * dot(Y[idx]!, d);
      const s = S[idx]!;
      for (let i = 0; i < n; i++) d[i] += (alpha[idx]! - beta) * s[i]!;
    }
    let gtd = dot(g, d);
    if (!(gtd < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      count = 0;
      gamma = 1;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      gtd = dot(g, d);
      if (!(gtd < 0)) break;
    }
    const t0 = iterations === 1 ? Math.min(1, 1 / Math.max(maxAbs(g) * n, Number.MIN_VALUE)) : 1;
    const phi = (t: number): LinePoint => {
      for (let i = 0; i < n; i++) xt[i] = x[i]! + t * d[i]!;
      const gt = new Float64Array(n);
      const ft = f(xt, gt);
      evaluations++;
      return { t, f: ft, g: gt, gtd: dot(gt, d) };
    };
    const best = search(phi, { t: 0, f: loss, g, gtd }, t0, o);
    if (best.t === 0) break; // no acceptable step: give up without claiming convergence
    const dmax = maxAbs(d) * best.t;
    // Store the correction pair, skipping it when the curvature yᵀs is not safely positive.
    const s = S[head]!;
    const y = Y[head]!;
    for (let i = 0; i < n; i++) {
      s[i] = best.t * d[i]!;
      y[i] = best.g[i]! - g[i]!;
    }
    const ys = dot(y, s);
    if (ys > 1e-10 * Math.max(1, dot(s, s))) {
      rho[head] = 1 / ys;
      gamma = ys / dot(y, y);
      head = (head + 1) % m;
      count = Math.min(count + 1, m);
    }
    for (let i = 0; i < n; i++) x[i] += best.t * d[i]!;
    const change = Math.abs(best.f - loss);
    const scaleF = Math.max(1, Math.abs(loss));
    loss = best.f;
    g = best.g;
    converged = maxAbs(g) <= o.gradTol || change <= o.lossTol * scaleF || dmax <= o.stepTol;
  }
  return { x, loss, iterations, evaluations, converged };
}
