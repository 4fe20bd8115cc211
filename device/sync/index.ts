/** Over-the-air updates on the device: resumable chunk download and A/B install slots. */
export * from './download.js';
export * from './slots.js';
