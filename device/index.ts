/** The device side: input adapters, the runtime loop, drift, τ adaptation, selection, sync. */

export * from '../shared/engines/index.js';
export * from './adapt/index.js';
export * from './adapters/index.js';
export * from './drift/index.js';
export * from './runtime/index.js';
export * from './select/index.js';
export * from './sync/index.js';
