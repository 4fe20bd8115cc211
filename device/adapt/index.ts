export { TauSensitivity } from './sensitivity.js';
export { TAU_ADAPT_DEFAULTS, TauAdapter, type TauAdaptOptions, type TauObservation } from './tau.js';
