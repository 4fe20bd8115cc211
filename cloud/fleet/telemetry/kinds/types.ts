/**
 * One telemetry kind = one SQLite table: the record schema a device sends in its batches, the
 * kind-specific columns, and how a record fills them. Every table also has the common columns
 * of store.ts (device, stream, seq, index in batch, received time, record time, full JSON).
 */
import type * as z from '../../../../shared/zod.js';

export type ColumnType = 'INTEGER' | 'REAL' | 'TEXT';

export interface TelemetryKindSpec<R extends Record<string, unknown> = Record<string, unknown>> {
  /** Table name, `tel_{kind}`. */
  readonly table: string;
  /** The topic it arrives on (DESIGN table row). */
  readonly topic: 'tel/hunger' | 'tel/perf' | 'evt/drift' | 'evt/detection';
  /** The record's schema (shared/types/telemetry.ts). */
  readonly record: z.ZodMiniType<R>;
  /** Kind-specific columns, in order. */
  readonly columns: Readonly<Record<string, ColumnType>>;
  /** Values for `columns`, in the same order. */
  toRow(record: R): (number | string | null)[];
}
