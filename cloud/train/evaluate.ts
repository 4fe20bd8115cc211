/**
 * Evaluation of a hybrid on a window set with the float64 reference runner (no tape): every
 * window is one stream of the batch, all advanced together step by step.
 */
import { meanOf, streamingErrors } from '../../shared/eval/streaming.js';
import type { HybridModel } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import type { TrainData } from './run.js';
import type { StreamData, WindowSet } from './windows.js';

/** Predictions at each window's last step, [n, outputs]. */
export function predictWindows(model: HybridModel, set: WindowSet, dt = model.dtDefault): Float64Array {
  const runner = new ReferenceRunner(model, set.n);
  const step = new Float64Array(set.n * set.inputs);
  const out = new Float64Array(set.n * model.outputs);
  const dts = set.dts ? new Float64Array(set.n) : null;
  for (let t = 0; t < set.window; t++) {
    for (let k = 0; k < set.n; k++) {
      const src = (k * set.window + t) * set.inputs;
      for (let c = 0; c < set.inputs; c++) step[k * set.inputs + c] = set.x[src + c]!;
      if (dts && set.dts) dts[k] = set.dts[k * set.window + t]!;
    }
    runner.step(step, dts ?? dt, out);
  }
  return out;
}

export function mse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return s / target.length;
}

export function evaluateMse(model: HybridModel, set: WindowSet): number {
  return mse(predictWindows(model, set), set.y);
}

export type LossKind = 'mse' | 'cross-entropy';

/** Mean softmax cross-entropy of logits [n, C] against target probabilities [n, C]. */
export function crossEntropy(logits: Float64Array, target: Float64Array, C: number): number {
  const n = target.length / C;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[r * C + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[r * C + c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < C; c++) loss -= target[r * C + c]! * (logits[r * C + c]! - lse);
  }
  return loss / n;
}

/** The training loss on a window set: MSE for regression, cross-entropy for classification. */
export function evaluateLoss(model: HybridModel, set: WindowSet, loss: LossKind): number {
  const pred = predictWindows(model, set);
  return loss === 'mse' ? mse(pred, set.y) : crossEntropy(pred, set.y, set.outputs);
}

/** The loss of each window on its own, [n] (their mean is evaluateLoss). */
export function windowLosses(model: HybridModel, set: WindowSet, loss: LossKind): Float64Array {
  const pred = predictWindows(model, set);
  const C = set.outputs;
  const out = new Float64Array(set.n);
  for (let r = 0; r < set.n; r++) {
    const p = pred.subarray(r * C, (r + 1) * C);
    const y = set.y.subarray(r * C, (r + 1) * C);
    out[r] = loss === 'mse' ? mse(p, y) : crossEntropy(p, y, C);
  }
  return out;
}

/** Fraction of windows whose largest output is the labelled class (one-hot targets). */
export function accuracy(model: HybridModel, set: WindowSet): number {
  const pred = predictWindows(model, set);
  const C = set.outputs;
  let right = 0;
  for (let r = 0; r < set.n; r++) {
    let p = 0;
    let t = 0;
    for (let c = 1; c < C; c++) {
      if (pred[r * C + c]! > pred[r * C + p]!) p = c;
      if (set.y[r * C + c]! > set.y[r * C + t]!) t = c;
    }
    if (p === t) right++;
  }
  return right / set.n;
}

/** MSE of predicting the last value of each window (the persistence baseline). */
export function persistenceMse(set: WindowSet): number {
  return mse(set.last, set.y);
}

/** Squared streaming errors on the validation label rows, state warmed on every row before them. */
export function streamValidationErrors(model: HybridModel, stream: StreamData): Float64Array {
  const { series, horizon, split } = stream;
  return streamingErrors(model, series, horizon, split.valStart, split.testStart);
}

/** Squared streaming errors on the test tail, state warmed on every row before it. */
export function streamTestErrors(model: HybridModel, stream: StreamData): Float64Array {
  const { series, horizon, split } = stream;
  return streamingErrors(model, series, horizon, split.testStart, split.rows);
}

/**
 * Per-sample validation losses the race compares: streaming squared errors with a stream,
 * else each window's loss.
 */
export function validationLosses(model: HybridModel, data: TrainData, loss: LossKind): Float64Array {
  return data.stream ? streamValidationErrors(model, data.stream) : windowLosses(model, data.val, loss);
}

/** The validation loss early stopping and the race judge by (the mean of validationLosses). */
export function validationLoss(model: HybridModel, data: TrainData, loss: LossKind): number {
  return data.stream
    ? meanOf(streamValidationErrors(model, data.stream))
    : evaluateLoss(model, data.val, loss);
}
