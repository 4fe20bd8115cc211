/** Cloud-side views of the activation library (the gallery). Re-exports only. */
export * from './panel.js';
export * from './plot.js';
export * from './svg.js';
