/**
 * `evt/drift` records (DESIGN row `evt/drift`: drift alarms with detector state); the shape of
 * device/drift/types.ts DriftEvent, plus an optional record time.
 */
import { type DriftRecord, DriftRecordSchema } from '../../../../shared/types/telemetry.js';

export type { DriftRecord };
export { DriftRecordSchema };

import type { TelemetryKindSpec } from './types.js';

export const DRIFT: TelemetryKindSpec<DriftRecord> = {
  table: 'tel_drift',
  topic: 'evt/drift',
  record: DriftRecordSchema,
  columns: { step: 'INTEGER', detector: 'TEXT', statistic: 'REAL', threshold: 'REAL' },
  toRow: (r) => [r.step, r.detector, r.statistic, r.threshold],
};
