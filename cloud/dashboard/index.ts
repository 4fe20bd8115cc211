/** The dashboard's routes (page, assets, live events, gallery, preview). Re-exports only. */
export * from './dashboard.js';
export * from './gallery.js';
export * from './live.js';
export * from './preview.js';
