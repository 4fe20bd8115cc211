/**
 * cloud/kan: Kolmogorov–Arnold Networks as a function-discovery engine (after pykan's MultKAN,
 * multiplication nodes included, see mult.ts). Build with Kan.create, fit with trainKan, simplify with
 * pruneKan and refineKan, then read each edge's learned curve through the Kan inspection API.
 */
export * from './grid.js';
export * from './kan.js';
export * from './kernel.js';
export * from './layer.js';
export * from './layer-op.js';
export * from './mult.js';
export * from './objective.js';
export * from './options.js';
export * from './prune.js';
export * from './regularisation.js';
export * from './serialize.js';
export * from './symbolic.js';
export * from './train.js';
