/**
 * Types of the portable activation, the unit of the activation library.
 *
 * Every entry is a canonical shape ψ on z ∈ [-1, 1], range-normalised so that its minimum and
 * maximum over the domain are -1 and 1. A layer applies y = c·ψ(a·x + b) + d; `natural` holds
 * the (a, b, c, d) that give back the function the entry came from (tanh for the tanh entry).
 * Outside [-1, 1] the entry's tail policy decides what ψ does, so nothing explodes on unseen input:
 *   linear:   continue with the boundary slope ψ'(±1)
 *   constant: hold the boundary value ψ(±1)
 *   extend:   use the closed form itself (only forms that declare themselves safe everywhere)
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';

export type FormName = 'classic' | 'symbolic' | 'chebyshev' | 'rational';
export const FORM_NAMES: readonly FormName[] = ['classic', 'symbolic', 'chebyshev', 'rational'];

export type TailPolicy = 'linear' | 'constant' | 'extend';
export const TAIL_POLICIES: readonly TailPolicy[] = ['linear', 'constant', 'extend'];

/** y = c·ψ(a·x + b) + d */
export interface Affine {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

/**
 * One form (classic, symbolic, chebyshev, rational): one file each under forms/.
 * P is the form's parameter record as stored in library.json.
 */
export interface FormModule<P> {
  readonly name: FormName;
  /** ψ(z), the core closed form (callers apply the tail policy outside [-1, 1]). */
  evaluate(params: P, z: number): number;
  /** ψ'(z) of the core closed form. */
  derivative(params: P, z: number): number;
  /** True when the closed form is finite and safe for every real z (allows tail 'extend'). */
  extendable(params: P): boolean;
  /** Elementwise ops of the core form, for cost metadata. */
  opsPerElement(params: P): number;
  /** Emit ψ(z) for the tensor named z; returns the output tensor's name. */
  emitOnnx(g: GraphBuilder, z: string, params: P): string;
  /** Validate JSON from a library file; `where` names the file and entry for error messages. */
  parse(json: unknown, where: string): P;
  toJSON(params: P): unknown;
}
