/** Test helpers: random Vars and a weighted-sum loss that gives every output its own gradient. */
import { mul, sum } from '../../../shared/numeric/ops.js';
import type { Rng } from '../../../shared/numeric/rng.js';
import { type Shape, sizeOf, type Tape, Var } from '../../../shared/numeric/tape.js';

export function randParam(rng: Rng, shape: Shape, lo = -1, hi = 1, label = 'param'): Var {
  return Var.param(rng.fillUniform(new Float64Array(sizeOf(shape)), lo, hi), shape, label);
}

export function randConst(rng: Rng, shape: Shape, lo = -1, hi = 1): Var {
  return Var.constant(rng.fillUniform(new Float64Array(sizeOf(shape)), lo, hi), shape);
}

/** Σ y ⊙ w for fixed random weights w, so dL/dy = w differs per element. */
export function weightedLoss(tape: Tape, y: Var, w: Var): Var {
  return sum(tape, mul(tape, y, w));
}
