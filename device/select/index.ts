/** On-device hard selection of library entries: sample buffer, search, hunger, session rebuild. Re-exports only. */
export * from './buffer.js';
export * from './hunger.js';
export * from './score.js';
export * from './search.js';
export * from './select.js';
export * from './session.js';
export * from './submodel.js';
