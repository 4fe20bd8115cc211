/** The device side: engines, input adapters, the runtime loop, drift, τ adaptation, selection, sync. */

export * from './adapt/index.js';
export * from './adapters/index.js';
export * from './drift/index.js';
export * from './engines/index.js';
export * from './runtime/index.js';
export * from './select/index.js';
export * from './sync/index.js';
