/** `birth` (DESIGN row `birth`): runtime, library and model versions, profile, boot sequence. */
import { BirthSchema } from '../../../../shared/types/sync.js';
import { birthFacts, factsHandler } from './facts.js';

export const birthHandler = factsHandler(BirthSchema, birthFacts, (registry, ...args) =>
  registry.recordBirth(...args),
);
