/**
 * What a chart needs from one telemetry record, and nothing else. Hunger records may carry up
 * to 2 × 4096 samples (shared/types/telemetry.ts) meant for discovery; the live feed must not
 * forward those to every open page, so each kind keeps only its chart fields, and only finite
 * numbers (records are loose: a newer device may add fields, or send a field of another type).
 */
import type { TelemetryKind } from '../fleet/telemetry/kinds/index.js';

/** Chart fields per kind (shared/types/telemetry.ts documents each). */
export const CHART_FIELDS: Readonly<Record<TelemetryKind, readonly string[]>> = Object.freeze({
  // outboxDropped: telemetry batches the device dropped (outbox full), shown with its facts
  perf: ['mse', 'tauMean', 'p50Us', 'p99Us', 'budgetUs', 'outboxDropped'],
  drift: ['statistic', 'threshold', 'step'],
  hunger: ['layer', 'entropy', 'gap'],
  detection: ['confidence', 'audioS'],
});

/** One chart point; `x` in ms since the epoch (chartTime). */
export type ChartPoint = Record<string, number | string | boolean> & { x: number };

const DAY_MS = 86_400_000;

/**
 * A record's time on the chart: its own time `t` when that is within a day of when the cloud
 * received it (records of one batch then keep their spacing), else the receive time: a board
 * without a real-time clock may count from 1970 or from boot.
 */
export function chartTime(t: unknown, receivedMs: number): number {
  return typeof t === 'number' && Math.abs(t - receivedMs) < DAY_MS ? t : receivedMs;
}

export function chartPoint(
  kind: TelemetryKind,
  record: Record<string, unknown>,
  receivedMs: number,
): ChartPoint {
  const point: ChartPoint = { x: chartTime(record['t'], receivedMs) };
  for (const field of CHART_FIELDS[kind]) {
    const v = record[field];
    if (typeof v === 'number' && Number.isFinite(v)) point[field] = v;
  }
  if (kind === 'drift' && typeof record['detector'] === 'string') {
    point['detector'] = record['detector'].slice(0, 64);
  }
  if (kind === 'hunger' && typeof record['hungry'] === 'boolean') point['hungry'] = record['hungry'];
  if (kind === 'detection' && typeof record['word'] === 'string') point['word'] = record['word'].slice(0, 64);
  return point;
}
