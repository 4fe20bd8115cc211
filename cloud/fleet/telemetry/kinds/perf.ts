/** `tel/perf` records (DESIGN row `tel/perf`): step latency percentiles and steps run. */
import { type PerfRecord, PerfRecordSchema } from '../../../../shared/types/telemetry.js';

export type { PerfRecord };
export { PerfRecordSchema };

import type { TelemetryKindSpec } from './types.js';

export const PERF: TelemetryKindSpec<PerfRecord> = {
  table: 'tel_perf',
  topic: 'tel/perf',
  record: PerfRecordSchema,
  columns: { p50_us: 'REAL', p99_us: 'REAL', steps: 'INTEGER', engine: 'TEXT' },
  toRow: (r) => [r.p50Us, r.p99Us, r.steps ?? null, r.engine ?? null],
};
