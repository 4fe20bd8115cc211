/**
 * Sampling and integration for the built-in physical systems: a (optionally jittered) grid of
 * sample times and a classic fourth-order Runge–Kutta integrator that advances an ODE
 *
 *     dy/dt = f(t, y, k),   y ∈ ℝ^dim
 *
 * from each sample time t_k to t_{k+1} in equal substeps no longer than `maxSubstepS`. The
 * interval index k is passed to f, so a system switches its parameters exactly at a sample
 * boundary: with a shift at index s, rows 0…s are the pre-shift trajectory and the new
 * parameters act from t_s on. Pure and deterministic: randomness comes from a seeded Rng.
 */
import { InputError } from '../../shared/errors.js';
import type { Rng } from '../../shared/numeric/rng.js';

/** Right-hand side: write dy/dt at (t, y) into dydt. k is the sample interval [t_k, t_{k+1}). */
export type Rhs = (t: number, y: Float64Array, dydt: Float64Array, k: number) => void;

export interface SampleGrid {
  /** Sample times in seconds, [T], t[0] = 0. */
  readonly t: Float64Array;
  /** Per-step Δt in seconds, [T]: dt[k] = t[k] − t[k−1], and dt[0] = the nominal step. */
  readonly dt: Float64Array;
}

/**
 * T sample times with nominal spacing dtS; each spacing is dtS·(1 + jitter·U(−1, 1)), so
 * jitter ∈ [0, 1) keeps every Δt positive. jitter 0 gives a uniform grid and draws nothing.
 */
export function sampleGrid(T: number, dtS: number, jitter: number, rng: Rng): SampleGrid {
  if (!Number.isInteger(T) || T < 2) throw new InputError(`physics: steps must be an integer ≥ 2, got ${T}`);
  if (!(dtS > 0)) throw new InputError(`physics: dtS must be positive, got ${dtS}`);
  if (!(jitter >= 0 && jitter < 1)) throw new InputError(`physics: jitter must be in [0, 1), got ${jitter}`);
  const t = new Float64Array(T);
  const dt = new Float64Array(T);
  dt[0] = dtS;
  for (let k = 1; k < T; k++) {
    dt[k] = jitter > 0 ? dtS * (1 + jitter * rng.uniform(-1, 1)) : dtS;
    t[k] = t[k - 1]! + dt[k]!;
  }
  return { t, dt };
}

/** One RK4 step of length h from (t, y), written into out (may alias y). */
export function rk4Step(f: Rhs, t: number, y: Float64Array, h: number, k: number, out: Float64Array): void {
  const n = y.length;
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const tmp = new Float64Array(n);
  f(t, y, k1, k);
  for (let i = 0; i < n; i++) tmp[i] = y[i]! + 0.5 * h * k1[i]!;
  f(t + 0.5 * h, tmp, k2, k);
  for (let i = 0; i < n; i++) tmp[i] = y[i]! + 0.5 * h * k2[i]!;
  f(t + 0.5 * h, tmp, k3, k);
  for (let i = 0; i < n; i++) tmp[i] = y[i]! + h * k3[i]!;
  f(t + h, tmp, k4, k);
  for (let i = 0; i < n; i++) out[i] = y[i]! + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!);
}

/**
 * The state at every sample time: [T, dim] row-major, row 0 = y0. Each interval [t_k, t_{k+1}]
 * is split into ceil(Δt / maxSubstepS) equal RK4 substeps.
 */
export function integrate(f: Rhs, y0: readonly number[], t: Float64Array, maxSubstepS: number): Float64Array {
  const dim = y0.length;
  const T = t.length;
  const out = new Float64Array(T * dim);
  const y = Float64Array.from(y0);
  out.set(y, 0);
  for (let k = 0; k + 1 < T; k++) {
    const span = t[k + 1]! - t[k]!;
    const m = Math.max(1, Math.ceil(span / maxSubstepS - 1e-9));
    const h = span / m;
    for (let s = 0; s < m; s++) rk4Step(f, t[k]! + s * h, y, h, k, y);
    out.set(y, (k + 1) * dim);
  }
  return out;
}

/**
 * A sum of sinusoids with seeded frequencies (Hz) in [fLo, fHi] and phases: a smooth,
 * band-limited excitation u(t) = (amp/√n)·Σ_j sin(2π f_j t + φ_j).
 */
export function multisine(rng: Rng, n: number, fLo: number, fHi: number, amp: number): (t: number) => number {
  const f = Array.from({ length: n }, () => rng.uniform(fLo, fHi));
  const p = Array.from({ length: n }, () => rng.uniform(0, 2 * Math.PI));
  const a = amp / Math.sqrt(n);
  return (t) => {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.sin(2 * Math.PI * f[j]! * t + p[j]!);
    return a * s;
  };
}

/** Piecewise-constant levels: a new value from `draw()` every `holdS` seconds (index by ⌊t/holdS⌋). */
export function steps(draw: () => number, holdS: number, durationS: number): (t: number) => number {
  const levels = Array.from({ length: Math.ceil(durationS / holdS) + 2 }, draw);
  return (t) => levels[Math.min(levels.length - 1, Math.max(0, Math.floor(t / holdS)))]!;
}
