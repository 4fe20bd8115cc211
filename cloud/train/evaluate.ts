/**
 * Evaluation of a hybrid on a window set with the float64 reference runner (no tape): every
 * window is one stream of the batch, all advanced together step by step.
 */
import type { HybridModel } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import type { WindowSet } from './windows.js';

/** Predictions at each window's last step, [n, outputs]. */
export function predictWindows(model: HybridModel, set: WindowSet, dt = model.dtDefault): Float64Array {
  const runner = new ReferenceRunner(model, set.n);
  const step = new Float64Array(set.n * set.inputs);
  const out = new Float64Array(set.n * model.outputs);
  for (let t = 0; t < set.window; t++) {
    for (let k = 0; k < set.n; k++) {
      const src = (k * set.window + t) * set.inputs;
      for (let c = 0; c < set.inputs; c++) step[k * set.inputs + c] = set.x[src + c]!;
    }
    runner.step(step, dt, out);
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

/** MSE of predicting the last value of each window (the persistence baseline). */
export function persistenceMse(set: WindowSet): number {
  return mse(set.last, set.y);
}
