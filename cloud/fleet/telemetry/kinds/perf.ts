/** `tel/perf` records (DESIGN row `tel/perf`): step latency percentiles and steps run. */
import { z } from 'zod';
import type { TelemetryKindSpec } from './types.js';

export const PerfRecordSchema = z
  .object({
    t: z.number().int().nonnegative().optional(),
    /** Median and 99th-percentile step latency over the reporting window, in µs. */
    p50Us: z.number().nonnegative(),
    p99Us: z.number().nonnegative(),
    steps: z.number().int().nonnegative().optional(),
    engine: z.string().optional(),
  })
  .loose();
export type PerfRecord = z.output<typeof PerfRecordSchema>;

export const PERF: TelemetryKindSpec<PerfRecord> = {
  table: 'tel_perf',
  topic: 'tel/perf',
  record: PerfRecordSchema,
  columns: { p50_us: 'REAL', p99_us: 'REAL', steps: 'INTEGER', engine: 'TEXT' },
  toRow: (r) => [r.p50Us, r.p99Us, r.steps ?? null, r.engine ?? null],
};
