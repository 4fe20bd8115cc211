/** cloud/fleet/releases: the release store, staged rollouts and the MQTT release publisher. Re-exports only. */
export * from './errors.js';
export * from './job-update.js';
export * from './messages.js';
export * from './payloads.js';
export * from './publisher.js';
export * from './rollout-plan.js';
export * from './rollouts.js';
export * from './service.js';
export * from './store.js';
export * from './stream-get.js';
export * from './types.js';
export * from './upload.js';
