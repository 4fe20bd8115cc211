/** cloud/fleet/loop: closing the loop, persistent fleet hunger → discovery → library release. Re-exports only. */
export * from './aggregate.js';
export * from './cloud-policy.js';
export * from './discovery-runner.js';
export * from './history.js';
export * from './hunger-query.js';
export * from './library-store.js';
export * from './policy.js';
export * from './run-discovery.js';
export * from './shape-fit.js';
export * from './types.js';
