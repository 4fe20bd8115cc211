/** cloud/fleet/telemetry: the telemetry store and the cloud-side subscriber. Re-exports only. */
export * from './handlers/index.js';
export * from './ingest.js';
export * from './kinds/index.js';
export * from './sqlite.js';
export * from './store.js';
