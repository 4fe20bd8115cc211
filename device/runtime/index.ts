/** The device runtime: loading and verifying bundles, engines, the step loop and its summary. */

export * from './bundle.js';
export * from './clip-loop.js';
export * from './engine-start.js';
export * from './loop.js';
export * from './meta.js';
export * from './run.js';
export * from './selection.js';
export * from './stats.js';
export * from './step-session.js';
export * from './summary.js';
