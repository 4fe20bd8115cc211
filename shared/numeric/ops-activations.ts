/**
 * Smooth activations built from the elementwise primitives, so they need no backward rule of
 * their own (the style of tinygrad's elementwise.py): sigmoid and silu are compositions;
 * softplus is one fused kernel, for the reason in its docstring.
 */
import { addScalar, mapElementwise, mul, scale, tanh } from './ops-elementwise.js';
import type { Tape, Var } from './tape.js';

/** σ(x) = 1/(1 + e⁻ˣ), built as ½·tanh(x/2) + ½: never overflows, and the gradient comes free. */
export function sigmoid(tape: Tape, x: Var): Var {
  return addScalar(tape, scale(tape, tanh(tape, scale(tape, x, 0.5)), 0.5), 0.5);
}

/** silu(x) = x·σ(x) (also called swish), pykan's base function. */
export function silu(tape: Tape, x: Var): Var {
  return mul(tape, x, sigmoid(tape, x));
}

/**
 * softplus(x) = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so it never overflows;
 * f′ = σ(x). It is one fused kernel rather than relu + abs + log + exp because the composite's
 * gradient relies on the kinks of relu and abs cancelling, which fails at exactly x = 0 (a
 * zero-initialised parameter would get gradient 0 instead of ½).
 */
export function softplus(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i]!;
        const e = Math.exp(-Math.abs(v)); // in (0, 1]
        y[i] = Math.max(v, 0) + Math.log1p(e);
        d[i] = v >= 0 ? 1 / (1 + e) : e / (1 + e);
      }
    },
    'softplus',
  );
}
