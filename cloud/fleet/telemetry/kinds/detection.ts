/**
 * `evt/detection` records: keywords spotted by voice models (shared/types/telemetry.ts
 * DetectionRecordSchema), one row each, for the dashboard's detections view.
 */
import { type DetectionRecord, DetectionRecordSchema } from '../../../../shared/types/telemetry.js';

export type { DetectionRecord };
export { DetectionRecordSchema };

import type { TelemetryKindSpec } from './types.js';

export const DETECTION: TelemetryKindSpec<DetectionRecord> = {
  table: 'tel_detection',
  topic: 'evt/detection',
  record: DetectionRecordSchema,
  columns: { word: 'TEXT', audio_s: 'REAL', confidence: 'REAL' },
  toRow: (r) => [r.word, r.audioS, r.confidence],
};
