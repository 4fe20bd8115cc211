/** `reported` (DESIGN row `desired` / `reported`, device side): the versions applied. */
import { factsHandler } from './facts.js';

export const reportedHandler = factsHandler((registry, ...args) => registry.recordReported(...args));
