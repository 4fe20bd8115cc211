/**
 * Physics residual loss: when the task's differential equation is known, penalise predicted
 * trajectories that violate it, so training optimises
 *
 *     total = data loss + w · physics loss.
 *
 * The trainer (trainer.ts, option `physics`) calls `residual` on the tape with the model's
 * per-step outputs of the batch; every op is a shared/numeric tape op, so the term is
 * differentiated like the data loss.
 *
 * Oscillator residual. A sequence-to-one forecaster with horizon H emits at step t a prediction
 * ŷ_t (standardised) of x at sample t + H, x = σ_x·ŷ + μ_x. With the sample step h and the drive
 * u known at samples inside the window, the central-difference residual of
 *
 *     x'' + 2ζω·x' + ω²·x = u
 *
 * at step t (x'' ≈ (ŷ_{t+1} − 2ŷ_t + ŷ_{t−1})σ/h², x' ≈ (ŷ_{t+1} − ŷ_{t−1})σ/2h), divided by
 * ω²σ_x so it is in standard deviations of x, is
 *
 *     r_t = (a − c)·ŷ_{t−1} + (1 − 2a)·ŷ_t + (a + c)·ŷ_{t+1} + (ω²μ_x − u_{t+H})/(ω²σ_x),
 *     a = 1/(ωh)²,  c = ζ/(ωh),
 *
 * for t = fromStep … W−1−H (u_{t+H} must lie inside the window), and the loss is mean(r²) over
 * the batch and those steps. The truncation error is O(h²): on exact trajectories r ≈ 0.
 */
import { InputError } from '../../shared/errors.js';
import { add, concat, mean, scale, sliceColumns, square } from '../../shared/numeric/ops.js';
import { type Tape, Var } from '../../shared/numeric/tape.js';
import type { Standardizer } from './windows.js';

/** The batch the trainer hands to a residual (gathered from the training WindowSet). */
export interface PhysicsBatch {
  /** Standardised inputs, [n, window, inputs]. */
  readonly x: Float64Array;
  /** Targets, [n, outputs]. */
  readonly y: Float64Array;
  readonly n: number;
  readonly window: number;
  readonly inputs: number;
}

/** Builds a scalar physics loss from the per-step outputs (each [n, outputs]) of a batch. */
export type PhysicsResidual = (tape: Tape, outputs: readonly Var[], batch: PhysicsBatch) => Var;

/** The trainer option: total loss = data loss + weight · residual(…). */
export interface PhysicsTerm {
  /** w ≥ 0 (dimensionless). */
  readonly weight: number;
  readonly residual: PhysicsResidual;
}

export interface OscillatorResidualOptions {
  /** ω, rad/s. */
  readonly omega: number;
  /** ζ, dimensionless. */
  readonly zeta: number;
  /** Sample step h, s (uniform sampling). */
  readonly dtS: number;
  /** Forecast horizon H in samples (ŷ_t predicts x at t + H). */
  readonly horizon: number;
  /** Column of the drive u among the window's inputs. */
  readonly driveCol: number;
  /** Input standardisation (to recover u in m/s²) and the target's (x = σ·ŷ + μ, m). */
  readonly inputScaling: Standardizer;
  readonly targetScaling: { readonly mean: number; readonly std: number };
  /** Output column holding ŷ. @defaultValue 0 */
  readonly outputCol?: number;
  /** First step whose residual counts (≥ 1; later steps have seen more of the window). @defaultValue 1 */
  readonly fromStep?: number;
}

/** mean(r²) of the oscillator residual above; shapes: outputs W × [n, outputs] → scalar. */
export function oscillatorResidual(o: OscillatorResidualOptions): PhysicsResidual {
  const { omega, zeta, dtS: h, horizon: H, driveCol } = o;
  if (!(omega > 0 && h > 0 && zeta >= 0 && Number.isInteger(H) && H >= 1)) {
    throw new InputError(
      `oscillatorResidual: need ω > 0, h > 0, ζ ≥ 0, integer H ≥ 1; got ${omega}, ${h}, ${zeta}, ${H}`,
    );
  }
  const a = 1 / (omega * h) ** 2;
  const c = zeta / (omega * h);
  const col = o.outputCol ?? 0;
  const from = Math.max(1, o.fromStep ?? 1);
  const uMean = o.inputScaling.mean[driveCol]!;
  const uStd = o.inputScaling.std[driveCol]!;
  const w2s = omega * omega * o.targetScaling.std;
  const offset = (omega * omega * o.targetScaling.mean) / w2s;
  return (tape, outputs, batch) => {
    const W = batch.window;
    const to = W - 1 - H; // last step t with u_{t+H} inside the window
    if (to < from || outputs.length < W) {
      throw new InputError(`oscillatorResidual: window ${W} with horizon ${H} leaves no step from ${from}`);
    }
    const K = to - from + 1;
    const cols = outputs.map((y) => (y.shape[1] === 1 ? y : sliceColumns(tape, y, col, col + 1)));
    const Y = concat(tape, cols); // [n, W]
    const prev = sliceColumns(tape, Y, from - 1, to);
    const here = sliceColumns(tape, Y, from, to + 1);
    const next = sliceColumns(tape, Y, from + 1, to + 2);
    const drive = new Float64Array(batch.n * K);
    for (let b = 0; b < batch.n; b++) {
      for (let k = 0; k < K; k++) {
        const u = batch.x[(b * W + from + k + H) * batch.inputs + driveCol]! * uStd + uMean;
        drive[b * K + k] = offset - u / w2s;
      }
    }
    const r = add(
      tape,
      add(tape, add(tape, scale(tape, prev, a - c), scale(tape, here, 1 - 2 * a)), scale(tape, next, a + c)),
      Var.constant(drive, [batch.n, K], 'drive'),
    );
    return mean(tape, square(tape, r));
  };
}

/** total = data + weight · physics, on the tape (the trainer's combination, exposed for tests). */
export function withPhysics(tape: Tape, data: Var, physics: Var, weight: number): Var {
  return add(tape, data, scale(tape, physics, weight));
}
