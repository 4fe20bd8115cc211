/** Releases: keys, signing, the payload container, chunking and the release file. */

export * from './chunks.js';
export * from './container.js';
export * from './create.js';
export * from './keys.js';
export * from './release-file.js';
export * from './sign.js';
