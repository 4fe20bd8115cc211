/** The device side: inference engines, input adapters and the runtime loop. */

export * from './adapters/index.js';
export * from './engines/index.js';
export * from './runtime/index.js';
