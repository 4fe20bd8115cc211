/**
 * Classification loss: softmax cross-entropy over the last axis, fused so the log of a
 * vanishing probability is never formed (log-sum-exp with the row maximum subtracted).
 */
import { ShapeError } from '../errors.js';
import type { Tape, Var } from './tape.js';

/**
 * mean over rows of −Σ_c target[r, c]·log softmax(logits[r])_c.
 * logits, target: [rows, classes]; target rows are probabilities (one-hot for hard labels).
 * Backward: d/dlogits = (softmax − target) / rows.
 */
export function softmaxCrossEntropy(tape: Tape, logits: Var, target: Var): Var {
  if (logits.shape.length !== 2 || target.shape.join() !== logits.shape.join()) {
    throw new ShapeError(
      `softmaxCrossEntropy: logits [${logits.shape}] and target [${target.shape}] must both be [rows, classes]`,
    );
  }
  const [rows, C] = logits.shape as [number, number];
  const probs = new Float64Array(rows * C);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits.data[r * C + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits.data[r * C + c]! - max);
    const lse = max + Math.log(sum);
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      probs[i] = Math.exp(logits.data[i]! - lse);
      loss -= target.data[i]! * (logits.data[i]! - lse);
    }
  }
  return tape.record(
    Float64Array.of(loss / rows),
    [],
    [logits],
    (out) => {
      const g = out.grad![0]! / rows;
      for (let i = 0; i < probs.length; i++) logits.grad![i] += g * (probs[i]! - target.data[i]!);
    },
    'softmaxCrossEntropy',
  );
}
