/** Routes a parsed topic kind to its handler: one module per topic (STYLE "In liquidkan" 9). */
import type { TopicKind } from '../../../../shared/types/topics.js';
import { birthHandler } from './birth.js';
import { reportedHandler } from './reported.js';
import { statusHandler } from './status.js';
import { batchHandler } from './telemetry.js';
import type { TopicHandler } from './types.js';

/** The device-side topics the cloud ingests; the subscriber subscribes to exactly these. */
export const INGEST_HANDLERS: Readonly<Partial<Record<TopicKind, TopicHandler>>> = Object.freeze({
  status: statusHandler,
  birth: birthHandler,
  reported: reportedHandler,
  'tel/hunger': batchHandler('hunger'),
  'tel/perf': batchHandler('perf'),
  'evt/drift': batchHandler('drift'),
  'evt/detection': batchHandler('detection'),
});

export * from './birth.js';
export * from './facts.js';
export * from './reported.js';
export * from './status.js';
export * from './telemetry.js';
export * from './types.js';
