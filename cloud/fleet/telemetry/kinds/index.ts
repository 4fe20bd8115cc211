/** The telemetry kinds by name; a new kind is one file plus one line here. */
import { DETECTION } from './detection.js';
import { DRIFT } from './drift.js';
import { HUNGER } from './hunger.js';
import { PERF } from './perf.js';
import type { TelemetryKindSpec } from './types.js';

export const TELEMETRY_KINDS = ['hunger', 'perf', 'drift', 'detection'] as const;
export type TelemetryKind = (typeof TELEMETRY_KINDS)[number];

export const KIND_SPECS: Readonly<Record<TelemetryKind, TelemetryKindSpec>> = Object.freeze({
  hunger: HUNGER as unknown as TelemetryKindSpec,
  perf: PERF as unknown as TelemetryKindSpec,
  drift: DRIFT as unknown as TelemetryKindSpec,
  detection: DETECTION as unknown as TelemetryKindSpec,
});

export * from './detection.js';
export * from './drift.js';
export * from './hunger.js';
export * from './perf.js';
export * from './types.js';
