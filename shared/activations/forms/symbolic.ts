/**
 * The symbolic form: ψ(z) = γ·f(α·z + β) + δ with f a closed form snapped from a KAN edge
 * (x², sin, exp…). inv, sqrt and log are accepted only when α·z + β stays inside their safe
 * domain for every z ∈ [-1, 1]; parse() rejects the entry otherwise. Names follow pykan's
 * symbolic library ('x' for the identity, 'gauss' for e^{-x²}).
 */
import type { PrimitiveName } from '../primitives.js';
import { type AffinePrimitiveParams, affinePrimitiveForm } from './affine-primitive.js';

export type SymbolicName =
  | 'x'
  | 'x2'
  | 'x3'
  | 'x4'
  | 'inv'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'sin'
  | 'cos'
  | 'tanh'
  | 'sigmoid'
  | 'gauss'
  | 'abs'
  | 'arctan';

export const SYMBOLIC_TABLE: Readonly<Record<SymbolicName, PrimitiveName>> = Object.freeze({
  x: 'identity',
  x2: 'x2',
  x3: 'x3',
  x4: 'x4',
  inv: 'inv',
  sqrt: 'sqrt',
  exp: 'exp',
  log: 'log',
  sin: 'sin',
  cos: 'cos',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  gauss: 'gaussian',
  abs: 'abs',
  arctan: 'arctan',
});

export const SYMBOLIC_NAMES = Object.keys(SYMBOLIC_TABLE) as readonly SymbolicName[];

export type SymbolicParams = AffinePrimitiveParams<SymbolicName>;

export const symbolicForm = affinePrimitiveForm<SymbolicName>('symbolic', SYMBOLIC_TABLE);
