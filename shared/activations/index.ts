/**
 * The portable activation library: canonical shapes on [-1, 1], their forms, tails, entries,
 * identity, distance and ONNX emission. Re-exports only.
 */
export * from './builtins.js';
export * from './canonical.js';
export * from './compile.js';
export * from './distance.js';
export * from './emit.js';
export * from './entry.js';
export * from './fit.js';
export * from './forms/affine-primitive.js';
export * from './forms/chebyshev.js';
export * from './forms/classic.js';
export * from './forms/index.js';
export * from './forms/rational.js';
export * from './forms/symbolic.js';
export * from './hash.js';
export * from './math.js';
export * from './primitives.js';
export * from './properties.js';
export * from './tail.js';
export * from './types.js';
