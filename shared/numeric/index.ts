/**
 * shared/numeric: the numeric core. Pure functions over Float64Arrays, a tensor-level tape
 * autodiff, B-splines, optimisers and small dense linear algebra. Nothing here touches the file
 * system, the clock or a global random source.
 */
export * from './adam.js';
export * from './bspline.js';
export * from './bspline-op.js';
export * from './gradcheck.js';
export * from './lbfgs.js';
export * from './linalg.js';
export * from './line-search.js';
export * from './ops.js';
export * from './rng.js';
export * from './tape.js';
