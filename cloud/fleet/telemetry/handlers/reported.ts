/** `reported` (DESIGN row `desired` / `reported`, device side): the versions applied. */
import { ReportedSchema } from '../../../../shared/types/sync.js';
import { factsHandler, reportedFacts } from './facts.js';

export const reportedHandler = factsHandler(ReportedSchema, reportedFacts, (registry, ...args) =>
  registry.recordReported(...args),
);
