/**
 * A library entry compiled for evaluation: ψ and ψ′ with the tail policy applied, as scalars
 * and as loops over caller-owned Float64Arrays (no allocation per call), plus the layer
 * affine y = c·ψ(a·x + b) + d with dy/dx. For classic and symbolic entries with tail 'extend'
 * the two affines are folded into one (see foldAffine), exactly as emit.ts folds them.
 */

import type { ActivationEntry } from './entry.js';
import { type AffinePrimitiveParams, foldAffine } from './forms/affine-primitive.js';
import { classicForm } from './forms/classic.js';
import { formModule } from './forms/index.js';
import { symbolicForm } from './forms/symbolic.js';
import type { Primitive } from './primitives.js';
import {
  evalTailInto,
  type ScalarCore,
  type TailBoundary,
  tailBoundary,
  tailSlope,
  tailValue,
} from './tail.js';
import type { Affine } from './types.js';

export interface CompiledActivation {
  readonly entry: ActivationEntry;
  /** ψ(±1), ψ′(±1) of the core. */
  readonly boundary: TailBoundary;
  /** ψ(z) with the tail applied. */
  value(z: number): number;
  /** ψ′(z) with the tail applied. */
  slope(z: number): number;
  /** out[i] = ψ(z[i]), dout[i] = ψ′(z[i]); out may alias z. */
  evalInto(z: Float64Array, out: Float64Array, dout?: Float64Array): void;
  /** out[i] = c·ψ(a·x[i] + b) + d, dout[i] = dy/dx; out may alias x. */
  applyAffineInto(x: Float64Array, affine: Affine, out: Float64Array, dout?: Float64Array): void;
}

/** The primitive behind a classic or symbolic entry, or null for the other forms. */
export function entryPrimitive(entry: ActivationEntry): Primitive | null {
  if (entry.form === 'classic') return classicForm.primitive(entry.params as never);
  if (entry.form === 'symbolic') return symbolicForm.primitive(entry.params as never);
  return null;
}

export function compileActivation(entry: ActivationEntry): CompiledActivation {
  const form = formModule(entry.form);
  const params = entry.params;
  const core: ScalarCore = {
    value: (z) => form.evaluate(params, z),
    slope: (z) => form.derivative(params, z),
  };
  const boundary = tailBoundary(core);
  const tail = entry.tail;
  const prim = tail === 'extend' ? entryPrimitive(entry) : null;
  const self: CompiledActivation = {
    entry,
    boundary,
    value: (z) => tailValue(tail, boundary, core, z),
    slope: (z) => tailSlope(tail, boundary, core, z),
    evalInto:
      prim !== null
        ? (z, out, dout) => {
            // ψ(z) = γ·f(α·z + β) + δ on all of ℝ: straight to the primitive, no tail logic
            const { alpha, beta, gamma, delta } = params as AffinePrimitiveParams;
            for (let i = 0; i < z.length; i++) {
              const u = alpha * z[i]! + beta;
              if (dout !== undefined) dout[i] = gamma * prim.df(u) * alpha;
              out[i] = gamma * prim.f(u) + delta;
            }
          }
        : (z, out, dout) => evalTailInto(tail, boundary, core, z, out, dout),
    applyAffineInto(x, aff, out, dout) {
      const n = x.length;
      if (prim !== null) {
        const { A, B, C, D } = foldAffine(params as AffinePrimitiveParams, aff);
        for (let i = 0; i < n; i++) {
          const u = A * x[i] + B;
          if (dout !== undefined) dout[i] = C * prim.df(u) * A;
          out[i] = C * prim.f(u) + D;
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const z = aff.a * x[i] + aff.b;
        if (dout !== undefined) dout[i] = aff.c * tailSlope(tail, boundary, core, z) * aff.a;
        out[i] = aff.c * tailValue(tail, boundary, core, z) + aff.d;
      }
    },
  };
  return self;
}

/** y = c·ψ(a·x + b) + d for a compiled entry (the method, as a function). */
export function applyAffineInto(
  act: CompiledActivation,
  x: Float64Array,
  affine: Affine,
  out: Float64Array,
  dout?: Float64Array,
): void {
  act.applyAffineInto(x, affine, out, dout);
}
