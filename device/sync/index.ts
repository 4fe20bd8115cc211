/**
 * Fleet sync on the device: the MQTT session, release jobs with resumable chunked download and
 * A/B install slots, health checks, the telemetry outbox, and the agent that wires them to the
 * runtime.
 */
export * from './agent.js';
export * from './client.js';
export * from './credentials.js';
export * from './download.js';
export * from './facts.js';
export * from './health.js';
export * from './input.js';
export * from './jobs.js';
export * from './outbox.js';
export * from './outbox-sender.js';
export * from './runner.js';
export * from './slots.js';
export * from './state.js';
export * from './stream.js';
export * from './telemetry.js';
