/** The versioned activation library: file, merge, compaction, near-duplicates, evaluation. Re-exports only. */
export * from './compact.js';
export * from './evaluate.js';
export * from './library.js';
export * from './merge.js';
export * from './near.js';
export * from './usage.js';
