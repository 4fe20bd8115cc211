/**
 * Online adaptation of the liquid time constants on the device. Each observe() runs one step of
 * the model with the current τ (on the compiled engine's float32 kernels, via TauSensitivity), returns that
 * prediction (made before the target is seen), then takes one step on θ = log τ [P]:
 *
 *     ε = (y − target)/outputStd                         standardised error [outputs]
 *     g_j = Σ_o ε_o·∂y_o/∂θ_j / outputStd_o               gradient of ½‖ε‖² (sensitivity.ts)
 *     v_j ← ρ·v_j + (1 − ρ)·g_j²                           RMSprop second moment
 *     Δθ_j = clip(−lr·g_j/(√v_j + 1e-12), ±maxLogStep),    θ clamped to [log τmin, log τmax]
 *
 * and keeps an exponential moving average of ‖ε‖², ē ← (1 − β)·ē + β·‖ε‖². A guard checks every
 * guardSteps updates: if ē has grown by more than revertRatio since the last check, τ goes back
 * to the τ of that check (the last good τ) and ē's baseline moves to the current level (a regime
 * shift raises the error whatever τ is, so it costs one guard window of adaptation, no more);
 * otherwise the current τ becomes the new last good τ. Nothing is adapted during warmupSteps
 * (the state and the sensitivities start from zero). No allocation per step.
 */
import { InputError } from '../../shared/errors.js';
import type { HybridModel } from '../../shared/model/model.js';
import { type TauKernels, TauSensitivity } from './sensitivity.js';

export interface TauAdaptOptions {
  /** Step size on log τ, in RMS-normalised gradient units. @defaultValue 0.003 */
  readonly lr: number;
  /** Largest change of any log τ in one step. @defaultValue 0.01 */
  readonly maxLogStep: number;
  /** Decay ρ of the gradient's second moment. @defaultValue 0.99 */
  readonly rmsDecay: number;
  /** Weight β of a new squared error in the moving average. @defaultValue 0.02 */
  readonly emaRate: number;
  /** Updates between guard checks. @defaultValue 100 */
  readonly guardSteps: number;
  /** Revert when ē grew by more than this fraction since the last check. @defaultValue 0.5 */
  readonly revertRatio: number;
  /** Steps before the first update. @defaultValue 50 */
  readonly warmupSteps: number;
  /** The forward pass: the compiled engine's float32 kernels, or the float64 reference. @defaultValue 'compiled' */
  readonly kernels: TauKernels;
}

export const TAU_ADAPT_DEFAULTS: Readonly<TauAdaptOptions> = Object.freeze({
  lr: 0.003,
  maxLogStep: 0.01,
  rmsDecay: 0.99,
  emaRate: 0.02,
  guardSteps: 100,
  revertRatio: 0.5,
  warmupSteps: 50,
  kernels: 'compiled',
});

/** What observe() returns: views into the adapter's buffers, valid until the next call. */
export interface TauObservation {
  /** The prediction made with the τ in use before this target was seen [outputs]. */
  readonly prediction: Float64Array;
  /** τ after this step's update [P]. */
  readonly tau: Float64Array;
  /** Whether the guard reverted τ on this step. */
  readonly reverted: boolean;
}

export class TauAdapter {
  readonly options: Readonly<TauAdaptOptions>;
  readonly sensitivity: TauSensitivity;
  private readonly initialTau: Float64Array;
  private readonly goodTau: Float64Array;
  private readonly logTau: Float64Array;
  private readonly logMin: Float64Array;
  private readonly logMax: Float64Array;
  private readonly v: Float64Array;
  private readonly err: Float64Array;
  private readonly prediction: Float64Array;
  private readonly result: { prediction: Float64Array; tau: Float64Array; reverted: boolean };
  private steps = 0;
  private updates = 0;
  private ema = Number.NaN;
  private goodEma = Number.NaN;
  /** Guard reverts so far. */
  reverts = 0;

  constructor(model: HybridModel, options: Partial<TauAdaptOptions> = {}) {
    this.options = Object.freeze({ ...TAU_ADAPT_DEFAULTS, ...options });
    const o = this.options;
    if (!(o.lr >= 0) || !(o.maxLogStep >= 0) || !(o.emaRate > 0 && o.emaRate <= 1) || !(o.guardSteps >= 1)) {
      throw new InputError(
        `τ adaptation options: need lr ≥ 0, maxLogStep ≥ 0, 0 < emaRate ≤ 1, guardSteps ≥ 1 (got ${JSON.stringify(o)})`,
      );
    }
    this.sensitivity = new TauSensitivity(model, o.kernels);
    const s = this.sensitivity;
    const P = s.size;
    this.initialTau = s.tau.slice();
    this.goodTau = s.tau.slice();
    this.logTau = s.tau.map(Math.log);
    this.logMin = s.tauMin.map(Math.log);
    this.logMax = s.tauMax.map(Math.log);
    this.v = new Float64Array(P);
    this.err = new Float64Array(s.outputs);
    this.prediction = new Float64Array(s.outputs);
    this.result = { prediction: this.prediction, tau: s.tau, reverted: false };
  }

  /** τ in use [P] (a copy). */
  get tau(): Float64Array {
    return this.sensitivity.tau.slice();
  }

  /** The moving average ē of the squared standardised error (NaN before the first target). */
  get smoothedError(): number {
    return this.ema;
  }

  /** Predict from input [inputs] over dt, then learn from target [outputs] (NaN entries skip the update). */
  observe(input: Float64Array, dt: number, target: Float64Array): TauObservation {
    const s = this.sensitivity;
    const o = this.options;
    const P = s.size;
    s.step(input, dt, this.prediction);
    this.result.reverted = false;
    this.steps++;
    let e2 = 0;
    const std = s.outputStd;
    for (let r = 0; r < s.outputs; r++) {
      const e = (this.prediction[r]! - target[r]!) / std[r]!;
      this.err[r] = e / std[r]!;
      e2 += e * e;
    }
    if (!Number.isFinite(e2)) {
      // a missing target: predict only; a non-finite prediction: restart the state
      if (!this.prediction.every(Number.isFinite)) s.reset();
      return this.result;
    }
    this.ema = Number.isNaN(this.ema) ? e2 : (1 - o.emaRate) * this.ema + o.emaRate * e2;
    if (this.steps <= o.warmupSteps || o.lr === 0) return this.result;
    const dy = s.dy;
    for (let j = 0; j < P; j++) {
      let g = 0;
      for (let r = 0; r < s.outputs; r++) g += this.err[r]! * dy[r * P + j]!;
      this.v[j] = o.rmsDecay * this.v[j]! + (1 - o.rmsDecay) * g * g;
      let d = (-o.lr * g) / (Math.sqrt(this.v[j]!) + 1e-12);
      d = Math.max(-o.maxLogStep, Math.min(o.maxLogStep, d));
      this.logTau[j] = Math.max(this.logMin[j]!, Math.min(this.logMax[j]!, this.logTau[j]! + d));
      s.tau[j] = Math.exp(this.logTau[j]!);
    }
    s.runner.setTau(s.tau);
    this.updates++;
    if (this.updates % o.guardSteps === 0) this.guard();
    return this.result;
  }

  /** Back to the model's own τ, a zero state and no statistics. */
  reset(): void {
    const s = this.sensitivity;
    s.setTau(this.initialTau);
    s.reset();
    this.goodTau.set(this.initialTau);
    for (let j = 0; j < s.size; j++) this.logTau[j] = Math.log(s.tau[j]!);
    this.v.fill(0);
    this.steps = 0;
    this.updates = 0;
    this.ema = Number.NaN;
    this.goodEma = Number.NaN;
    this.reverts = 0;
  }

  private guard(): void {
    const s = this.sensitivity;
    if (!Number.isNaN(this.goodEma) && this.ema > (1 + this.options.revertRatio) * this.goodEma) {
      s.setTau(this.goodTau);
      for (let j = 0; j < s.size; j++) this.logTau[j] = Math.log(s.tau[j]!);
      this.v.fill(0);
      this.reverts++;
      this.result.reverted = true;
    } else {
      this.goodTau.set(s.tau);
    }
    this.goodEma = this.ema;
  }
}
