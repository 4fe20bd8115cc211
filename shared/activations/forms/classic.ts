/**
 * The classic form: ψ(z) = γ·f(α·z + β) + δ with f one of the activations every framework
 * ships (relu, tanh, gelu…). The builtin library entries are this form with tail 'extend', so
 * that with their natural affine they are the original function on all of ℝ.
 */
import type { PrimitiveName } from '../primitives.js';
import { type AffinePrimitiveParams, affinePrimitiveForm } from './affine-primitive.js';

export type ClassicName =
  | 'identity'
  | 'relu'
  | 'leaky_relu'
  | 'tanh'
  | 'sigmoid'
  | 'silu'
  | 'gelu'
  | 'sin'
  | 'softplus'
  | 'gaussian';

/** Classic names are primitive names. */
export const CLASSIC_TABLE: Readonly<Record<ClassicName, PrimitiveName>> = Object.freeze({
  identity: 'identity',
  relu: 'relu',
  leaky_relu: 'leaky_relu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  silu: 'silu',
  gelu: 'gelu',
  sin: 'sin',
  softplus: 'softplus',
  gaussian: 'gaussian',
});

export const CLASSIC_NAMES = Object.keys(CLASSIC_TABLE) as readonly ClassicName[];

export type ClassicParams = AffinePrimitiveParams<ClassicName>;

export const classicForm = affinePrimitiveForm<ClassicName>('classic', CLASSIC_TABLE);
