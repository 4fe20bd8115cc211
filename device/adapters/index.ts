/** Input adapters of the device runtime: CSV replay, JSON lines, WAV files and arecord pipes. */

export * from './clips.js';
export * from './csv.js';
export * from './jsonl.js';
export * from './source.js';
export * from './types.js';
export * from './wav.js';
