/** `birth` (DESIGN row `birth`): runtime, library and model versions, profile, boot sequence. */
import { factsHandler } from './facts.js';

export const birthHandler = factsHandler((registry, ...args) => registry.recordBirth(...args));
