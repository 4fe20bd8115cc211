/**
 * Every autodiff op in one import. Each op is `op(tape, ...vars) → Var`; the forward value is
 * computed eagerly and the backward rule sits beside it in its file:
 *   ops-elementwise.ts  add sub mul div addScalar scale neg exp log tanh sin cos relu square abs
 *                       mapElementwise
 *   ops-activations.ts  sigmoid silu (composites), softplus (fused kernel)
 *   ops-linear.ts       addBias mulRow matmul matmulTransposedB
 *   ops-reduce.ts       sum mean sumAxis mseLoss softmax
 *   ops-shape.ts        concat sliceColumns reshape
 * The fused B-spline edge op lives with the spline maths in bspline.ts.
 */
export * from './ops-activations.js';
export * from './ops-elementwise.js';
export * from './ops-linear.js';
export * from './ops-loss.js';
export * from './ops-reduce.js';
export * from './ops-shape.js';
