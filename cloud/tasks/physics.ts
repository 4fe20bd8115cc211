/**
 * Built-in physical systems with a regime shift, simulated with RK4 (physics-rk4.ts) on a seeded,
 * optionally jittered sample grid. Parameters switch at sample index `shiftIndex`: rows
 * 0…shiftIndex follow the `before` dynamics and the `after` parameters act from t[shiftIndex]
 * on, so row shiftIndex + 1 is the first row that differs from an unshifted run.
 *
 *   oscillator  x'' + 2ζω·x' + ω²·x = u(t)          stiffness ω² and damping ζ change
 *   robot       m·v' = F − c·v,  J·ω' = τ − r·F − b·ω,  F = μ·m·g·tanh(k_s·(r·ω − v))
 *               (wheel on a surface; μ drops from concrete to ice)
 *   thermal     C_h·T_h' = P − (T_h − T_b)/R_hb,  C_b·T_b' = (T_h − T_b)/R_hb − (T_b − T_a)/R_ba,
 *               P = P_max·tanh(g·d)  (saturating heater; ambient T_a or gain g changes)
 *
 * Forecasting windows over a stream: physics-windows.ts.
 */
import { InputError } from '../../shared/errors.js';
import { Rng } from '../../shared/numeric/rng.js';
import { integrate, multisine, type Rhs, sampleGrid, steps } from './physics-rk4.js';

export interface PhysicsStream<P extends object = Record<string, number>> {
  readonly name: string;
  /** Column names, with units in brackets. */
  readonly columns: readonly string[];
  /** [rows, columns.length] row-major. */
  readonly series: Float64Array;
  readonly rows: number;
  /** Sample times, s, [rows]. */
  readonly t: Float64Array;
  /** Per-step Δt, s, [rows]: dt[k] = t[k] − t[k−1]; dt[0] = dtS. */
  readonly dt: Float64Array;
  /** Nominal sample step, s. */
  readonly dtS: number;
  /** First sample interval under the `after` parameters; `rows` when there is no shift. */
  readonly shiftIndex: number;
  readonly before: Readonly<P>;
  readonly after: Readonly<P>;
}

export interface StreamOptions {
  readonly seed: number;
  /** Samples. @defaultValue 2000 */
  readonly steps?: number;
  /** Nominal sample step, s. @defaultValue per system (0.05 oscillator and robot, 1 thermal) */
  readonly dtS?: number;
  /** Relative jitter of each Δt, in [0, 1). @defaultValue 0 */
  readonly jitter?: number;
  /** Sample index of the shift; null for none. @defaultValue steps / 2 */
  readonly shiftIndex?: number | null;
}

function setup(name: string, o: StreamOptions, dtDefault: number) {
  const T = o.steps ?? 2000;
  const dtS = o.dtS ?? dtDefault;
  const shift = o.shiftIndex === null ? T : (o.shiftIndex ?? Math.floor(T / 2));
  if (!Number.isInteger(shift) || shift < 1 || shift > T) {
    throw new InputError(`${name}: shiftIndex must be an integer in [1, ${T}] or null, got ${o.shiftIndex}`);
  }
  const rng = new Rng(o.seed);
  const grid = sampleGrid(T, dtS, o.jitter ?? 0, rng.fork('grid'));
  return { T, dtS, shift, rng, ...grid };
}

/** The series [T, cols]: `fill` writes row k from the state y(t_k) [dim]. */
function assemble(
  states: Float64Array,
  dim: number,
  T: number,
  cols: number,
  fill: (k: number, y: Float64Array, row: Float64Array) => void,
): Float64Array {
  const series = new Float64Array(T * cols);
  for (let k = 0; k < T; k++)
    fill(k, states.subarray(k * dim, (k + 1) * dim), series.subarray(k * cols, (k + 1) * cols));
  return series;
}

// ── (a) damped, driven oscillator ───────────────────────────────────────────────────────────

export interface OscillatorParams {
  /** Natural angular frequency ω, rad/s. */
  readonly omega: number;
  /** Damping ratio ζ (dimensionless). */
  readonly zeta: number;
}

export interface OscillatorOptions extends StreamOptions {
  /** @defaultValue { omega: π, zeta: 0.05 } */
  readonly before?: OscillatorParams;
  /** @defaultValue { omega: 1.6π, zeta: 0.25 } */
  readonly after?: OscillatorParams;
  /** RMS-ish amplitude of the multisine drive u(t) (0.05–1 Hz), m/s². 0 = free decay. @defaultValue 1 */
  readonly driveAmp?: number;
  /** Initial displacement, m, and velocity, m/s. @defaultValue 0, 0 */
  readonly x0?: number;
  readonly v0?: number;
}

/**
 * x'' + 2ζω·x' + ω²·x = u(t), state (x [m], v [m/s]), drive u [m/s²] (force per unit mass).
 * Columns: u, x, v. The drive is a smooth multisine, so the sampled trajectory satisfies the
 * ODE at every sample time (what the physics residual loss checks).
 */
export function oscillatorStream(o: OscillatorOptions): PhysicsStream<OscillatorParams> {
  const s = setup('oscillator', o, 0.05);
  const before = o.before ?? { omega: Math.PI, zeta: 0.05 };
  const after = s.shift < s.T ? (o.after ?? { omega: 1.6 * Math.PI, zeta: 0.25 }) : before;
  const u = multisine(s.rng.fork('drive'), 4, 0.05, 1, o.driveAmp ?? 1);
  const f: Rhs = (t, y, d, k) => {
    const p = k < s.shift ? before : after;
    d[0] = y[1]!;
    d[1] = u(t) - 2 * p.zeta * p.omega * y[1]! - p.omega * p.omega * y[0]!;
  };
  const states = integrate(f, [o.x0 ?? 0, o.v0 ?? 0], s.t, s.dtS / 5);
  const series = assemble(states, 2, s.T, 3, (k, y, row) => row.set([u(s.t[k]!), y[0]!, y[1]!]));
  return {
    name: 'oscillator',
    columns: ['u [m/s²]', 'x [m]', 'v [m/s]'],
    series,
    rows: s.T,
    t: s.t,
    dt: s.dt,
    dtS: s.dtS,
    shiftIndex: s.shift,
    before,
    after,
  };
}

// ── (b) robot wheel stepping from concrete onto ice ─────────────────────────────────────────

export interface SurfaceParams {
  /** Friction coefficient μ (dimensionless): ~0.8 concrete, ~0.08 ice. */
  readonly mu: number;
}

export interface RobotOptions extends StreamOptions {
  /** @defaultValue { mu: 0.8 } (concrete) */
  readonly before?: SurfaceParams;
  /** @defaultValue { mu: 0.08 } (ice) */
  readonly after?: SurfaceParams;
  /**
   * Friction per sample interval instead of one shift (for classification streams):
   * μ_k = segments[j].mu for the last segment with start ≤ k. Overrides before/after.
   */
  readonly segments?: readonly { readonly start: number; readonly mu: number }[];
  /** Motor torque levels, N·m, drawn uniformly and held for `holdS` seconds. @defaultValue [-2, 4], 1 */
  readonly torqueRange?: readonly [number, number];
  readonly holdS?: number;
}

/** Physical constants of the lumped robot wheel (SI units). */
export const ROBOT = Object.freeze({
  massKg: 20,
  radiusM: 0.1,
  inertiaKgM2: 0.05,
  gravity: 9.81,
  dragNsPerM: 10,
  bearingNmsPerRad: 0.02,
  /** Slope of the tanh friction curve, s/m (how fast traction builds with slip speed). */
  slipStiffnessSPerM: 10,
});

/**
 * Wheel on a surface. State (v [m/s] vehicle speed, ω [rad/s] wheel speed); torque τ [N·m] is
 * held over each sample interval (zero-order hold). Traction F = μ·m·g·tanh(k_s·(r·ω − v)) [N].
 * Columns: torque, speed v, rim speed r·ω (m/s), and an IMU-like acceleration v' [m/s²] (its
 * value arriving at t_k, under the previous interval's μ, so row shiftIndex is still pre-shift).
 * On ice a torque above μ·m·g·r (≈1.6 N·m) spins the wheel: r·ω runs away from v.
 */
export function robotStream(o: RobotOptions): PhysicsStream<SurfaceParams> {
  const s = setup('robot', o, 0.05);
  const before = o.before ?? { mu: 0.8 };
  const after = s.shift < s.T ? (o.after ?? { mu: 0.08 }) : before;
  const segs = o.segments;
  const mu = segs
    ? (k: number) => {
        let m = segs[0]!.mu;
        for (const g of segs) if (g.start <= k) m = g.mu;
        return m;
      }
    : (k: number) => (k < s.shift ? before.mu : after.mu);
  const [lo, hi] = o.torqueRange ?? [-2, 4];
  const trng = s.rng.fork('torque');
  const level = steps(() => trng.uniform(lo, hi), o.holdS ?? 1, s.t[s.T - 1]! + 1);
  const torque = (k: number) => level(s.t[k]!);
  const R = ROBOT;
  const accel = (y: Float64Array, k: number) => {
    const F = mu(k) * R.massKg * R.gravity * Math.tanh(R.slipStiffnessSPerM * (R.radiusM * y[1]! - y[0]!));
    return { F, dv: (F - R.dragNsPerM * y[0]!) / R.massKg };
  };
  const f: Rhs = (_t, y, d, k) => {
    const { F, dv } = accel(y, k);
    d[0] = dv;
    d[1] = (torque(k) - R.radiusM * F - R.bearingNmsPerRad * y[1]!) / R.inertiaKgM2;
  };
  const states = integrate(f, [0, 0], s.t, 0.0025);
  const series = assemble(states, 2, s.T, 4, (k, y, row) =>
    row.set([torque(k), y[0]!, R.radiusM * y[1]!, accel(y, Math.max(0, k - 1)).dv]),
  );
  return {
    name: 'robot',
    columns: ['torque [N·m]', 'v [m/s]', 'rim speed [m/s]', 'accel [m/s²]'],
    series,
    rows: s.T,
    t: s.t,
    dt: s.dt,
    dtS: s.dtS,
    shiftIndex: segs && segs.length > 1 ? segs[1]!.start : s.shift,
    before: segs ? { mu: segs[0]!.mu } : before,
    after: segs ? { mu: segs[segs.length - 1]!.mu } : after,
  };
}

// ── (c) thermal system with a saturating heater ─────────────────────────────────────────────

export interface ThermalParams {
  /** Ambient temperature T_a, °C. */
  readonly ambientC: number;
  /** Heater gain g on the duty cycle (dimensionless); P = P_max·tanh(g·d). */
  readonly gain: number;
}

export interface ThermalOptions extends StreamOptions {
  /** @defaultValue { ambientC: 20, gain: 2 } */
  readonly before?: ThermalParams;
  /** @defaultValue { ambientC: 5, gain: 2 } (a door opens) */
  readonly after?: ThermalParams;
  /** Seconds each random duty level d ∈ [0, 1] is held. @defaultValue 60 */
  readonly holdS?: number;
}

/** Thermal constants (SI): heater and body capacities J/K, resistances K/W, P_max W. */
export const THERMAL = Object.freeze({
  heaterJPerK: 50,
  bodyJPerK: 1000,
  rHeaterBody: 0.5,
  rBodyAmbient: 0.2,
  pMaxW: 200,
});

/**
 * Two-node heater/body model, state (T_h, T_b) in °C starting at the ambient temperature;
 * duty d ∈ [0, 1] held over each interval. Columns: duty, T_heater, T_body.
 */
export function thermalStream(o: ThermalOptions): PhysicsStream<ThermalParams> {
  const s = setup('thermal', o, 1);
  const before = o.before ?? { ambientC: 20, gain: 2 };
  const after = s.shift < s.T ? (o.after ?? { ambientC: 5, gain: 2 }) : before;
  const drng = s.rng.fork('duty');
  const level = steps(() => drng.next(), o.holdS ?? 60, s.t[s.T - 1]! + 1);
  const duty = (k: number) => level(s.t[k]!);
  const C = THERMAL;
  const f: Rhs = (_t, y, d, k) => {
    const p = k < s.shift ? before : after;
    const P = C.pMaxW * Math.tanh(p.gain * duty(k));
    const q = (y[0]! - y[1]!) / C.rHeaterBody;
    d[0] = (P - q) / C.heaterJPerK;
    d[1] = (q - (y[1]! - p.ambientC) / C.rBodyAmbient) / C.bodyJPerK;
  };
  const states = integrate(f, [before.ambientC, before.ambientC], s.t, 0.5);
  const series = assemble(states, 2, s.T, 3, (k, y, row) => row.set([duty(k), y[0]!, y[1]!]));
  return {
    name: 'thermal',
    columns: ['duty [1]', 'heater [°C]', 'body [°C]'],
    series,
    rows: s.T,
    t: s.t,
    dt: s.dt,
    dtS: s.dtS,
    shiftIndex: s.shift,
    before,
    after,
  };
}
