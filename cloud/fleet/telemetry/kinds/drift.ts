/**
 * `evt/drift` records (DESIGN row `evt/drift`: drift alarms with detector state); the shape of
 * device/drift/types.ts DriftEvent, plus an optional record time.
 */
import { z } from 'zod';
import type { TelemetryKindSpec } from './types.js';

export const DriftRecordSchema = z
  .object({
    t: z.number().int().nonnegative().optional(),
    step: z.number().int().nonnegative(),
    detector: z.string().min(1).max(64),
    statistic: z.number(),
    threshold: z.number(),
    state: z.record(z.string(), z.number()),
  })
  .loose();
export type DriftRecord = z.output<typeof DriftRecordSchema>;

export const DRIFT: TelemetryKindSpec<DriftRecord> = {
  table: 'tel_drift',
  topic: 'evt/drift',
  record: DriftRecordSchema,
  columns: { step: 'INTEGER', detector: 'TEXT', statistic: 'REAL', threshold: 'REAL' },
  toRow: (r) => [r.step, r.detector, r.statistic, r.threshold],
};
