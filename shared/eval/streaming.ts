/**
 * The streaming evaluator: a forecaster judged the way the device runs it. One sample at a
 * time from the first row, the state carried for the whole series, inputs clamped like the
 * device clamps them, the model's own Δt, scaling and persistence skip. The prediction made
 * after row t is scored against the target at row t + horizon.
 *
 * Training (validation, early stopping, the race), compare, export manifests and the parity
 * test all score through here, so a figure `train` reports is the figure the board sees.
 *
 * The held-out parts are chronological and named by the row a label sits on: labels on rows
 * [valStart, testStart) are validation, [testStart, rows) test. The state is always warmed on
 * every row before the part being scored.
 */
import { InputError } from '../errors.js';
import type { HybridModel } from '../model/model.js';
import { ReferenceRunner } from '../model/reference.js';

/** The device clamps each input to mean ± this many standard deviations of its scaling. */
export const INPUT_CLAMP_STD = 10;

/** Default shares of the rows: the first 70% train, the next 15% validate, the last 15% test. */
export const HELD_OUT_FRACTIONS = Object.freeze({ train: 0.7, val: 0.15 });

export interface HeldOutSplit {
  readonly rows: number;
  /** First label row of validation (labels before it are training labels). */
  readonly valStart: number;
  /** First label row of the test tail. */
  readonly testStart: number;
}

/** The chronological split of a series of `rows` rows by label row. */
export function heldOutSplit(
  rows: number,
  fractions: { readonly train?: number; readonly val?: number } = {},
): HeldOutSplit {
  const train = fractions.train ?? HELD_OUT_FRACTIONS.train;
  const val = fractions.val ?? HELD_OUT_FRACTIONS.val;
  const valStart = Math.floor(rows * train);
  return { rows, valStart, testStart: Math.floor(rows * (train + val)) };
}

/** A series in the units the model takes: [rows, cols] row-major, the target in targetCol. */
export interface Series {
  readonly values: Float64Array;
  readonly cols: number;
  readonly targetCol: number;
  /** Per-row Δt; absent = the model's dtDefault. */
  readonly dts?: Float64Array;
}

export function seriesRows(s: Series): number {
  return s.values.length / s.cols;
}

/** Per-input clamp bounds: the model's scaling ± INPUT_CLAMP_STD·std, or ±INPUT_CLAMP_STD for standardised inputs. */
export function clampBounds(model: HybridModel): { lo: Float64Array; hi: Float64Array } {
  const s = model.scaling;
  const lo = new Float64Array(model.inputs);
  const hi = new Float64Array(model.inputs);
  for (let i = 0; i < model.inputs; i++) {
    const m = s ? s.inputMean[i]! : 0;
    const sd = s ? s.inputStd[i]! : 1;
    lo[i] = m - INPUT_CLAMP_STD * sd;
    hi[i] = m + INPUT_CLAMP_STD * sd;
  }
  return { lo, hi };
}

/**
 * The model's first output after each row t < `until`, one sample at a time from a zero state:
 * [until]. A non-finite prediction is kept as it is (the caller sees the divergence).
 */
export function streamPredictions(model: HybridModel, s: Series, until = seriesRows(s)): Float64Array {
  if (model.inputs !== s.cols) {
    throw new InputError(`the model takes ${model.inputs} inputs, the series has ${s.cols} columns`);
  }
  const runner = new ReferenceRunner(model, 1);
  const { lo, hi } = clampBounds(model);
  const x = new Float64Array(s.cols);
  const out = new Float64Array(model.outputs);
  const pred = new Float64Array(until);
  for (let t = 0; t < until; t++) {
    for (let c = 0; c < s.cols; c++) {
      const v = s.values[t * s.cols + c]!;
      x[c] = Math.min(Math.max(v, lo[c]!), hi[c]!);
    }
    runner.step(x, s.dts ? s.dts[t]! : model.dtDefault, out);
    pred[t] = out[0]!;
  }
  return pred;
}

/**
 * Squared error of each label row r in [from, to): (prediction after row r − horizon − target
 * at r)², with the state carried from row 0. [to − from]
 */
export function streamingErrors(
  model: HybridModel,
  s: Series,
  horizon: number,
  from: number,
  to: number,
): Float64Array {
  const first = Math.max(from, horizon);
  const pred = streamPredictions(model, s, Math.max(0, to - horizon));
  const out = new Float64Array(Math.max(0, to - first));
  for (let r = first; r < to; r++)
    out[r - first] = (pred[r - horizon]! - s.values[r * s.cols + s.targetCol]!) ** 2;
  return out;
}

export function meanOf(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  return xs.length ? m / xs.length : Number.NaN;
}

/** Streaming MSE on the label rows [from, to), in the series' units. */
export function streamingMse(
  model: HybridModel,
  s: Series,
  horizon: number,
  from: number,
  to: number,
): number {
  return meanOf(streamingErrors(model, s, horizon, from, to));
}

/** MSE of predicting row r's target by row r − horizon's (the persistence baseline) over [from, to). */
export function persistenceMse(s: Series, horizon: number, from: number, to: number): number {
  let sum = 0;
  let n = 0;
  for (let r = Math.max(from, horizon); r < to; r++) {
    sum += (s.values[(r - horizon) * s.cols + s.targetCol]! - s.values[r * s.cols + s.targetCol]!) ** 2;
    n++;
  }
  return n ? sum / n : Number.NaN;
}
