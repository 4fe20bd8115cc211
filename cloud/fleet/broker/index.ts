/** cloud/fleet/broker: the embedded MQTT broker and its policy. Re-exports only. */
export * from './auth.js';
export * from './broker.js';
export * from './frame-limit.js';
export * from './hooks.js';
export * from './operator.js';
