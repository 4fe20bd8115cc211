/**
 * The selector mixture φ(u) = Σ_k w_k·(c_k·ψ_k(a_k·u + b_k) + d_k) as one autodiff op with
 * gradients for u, the per-candidate affines and (soft mode) the logits.
 */
import { ShapeError } from '../errors.js';
import type { Tape, Var } from '../numeric/tape.js';
import { type SelectorKernel, type SelectorMode, selectorWeightsInto } from './selector.js';

export interface SelectorState {
  readonly kernel: SelectorKernel;
  readonly mode: SelectorMode;
  readonly temperature: number;
  readonly chosen: number;
}

/** u: any shape; logits [K]; affine [K, 4]. Returns φ(u) with u's shape. */
export function selectorMix(tape: Tape, u: Var, logits: Var, affine: Var, s: SelectorState): Var {
  const K = s.kernel.candidates.length;
  if (logits.size !== K || affine.size !== 4 * K) {
    throw new ShapeError(
      `selectorMix: ${K} candidates need logits [${K}] and affine [${K}, 4], got [${logits.shape}] and [${affine.shape}]`,
    );
  }
  const w = new Float64Array(K);
  selectorWeightsInto(logits.data, s.temperature, s.mode, s.chosen, w);
  const y = new Float64Array(u.size);
  const cache = s.kernel.forwardCached(u.data, affine.data, w, y);
  return tape.record(
    y,
    u.shape,
    [u, logits, affine],
    (o) => {
      s.kernel.backward(
        u.data,
        affine.data,
        w,
        s.temperature,
        s.mode,
        o.grad!,
        u.grad,
        affine.grad,
        logits.grad,
        cache,
      );
    },
    'selectorMix',
  );
}
