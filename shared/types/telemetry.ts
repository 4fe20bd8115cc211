/**
 * Telemetry the device sends and the cloud stores (DESIGN rows `tel/hunger`, `tel/perf`,
 * `evt/drift`): batches {stream, seq, records[]} from the device's on-disk outbox. `seq` counts
 * batches within one outbox stream, so the cloud stores each batch once however often it is
 * replayed. Record schemas are loose: a newer device may add fields an older cloud keeps in the
 * stored JSON without understanding them.
 */
import * as z from '../zod.js';
import { PARAM_PATTERN } from './topics.js';

/** Most records one batch may carry. */

/** Most (u, φ) pairs one hunger record carries. */
export const MAX_HUNGER_SAMPLES = 4096;
export const MAX_BATCH_RECORDS = 10_000;

const nonNegativeInt = () => z.int().check(z.nonnegative());
const nonNegative = () => z.number().check(z.nonnegative());
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const time = () => z.optional(nonNegativeInt());

export const TelemetryBatchSchema = z.object({
  /** The device's outbox stream (e.g. one per boot); seq counts within it. @defaultValue 'main' */
  stream: z._default(z.string().check(z.regex(PARAM_PATTERN)), 'main'),
  seq: nonNegativeInt(),
  records: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_BATCH_RECORDS)),
});
export type TelemetryBatch = z.output<typeof TelemetryBatchSchema>;

/**
 * `tel/hunger` records (cloud/train/hunger.ts defines the signals): per layer, the selector's
 * normalised mixture entropy and the relative loss gap between the best single entry and the
 * soft mixture.
 */
export const HungerRecordSchema = z.looseObject({
  t: time(),
  layer: nonNegativeInt(),
  entropy: z.number(),
  gap: z.optional(z.number()),
  hungry: z.optional(z.boolean()),
  /** Name of the best single library entry the device found for this layer. */
  bestSingle: z.optional(text(0, 128)),
  /**
   * Pre-activation samples u and the shape φ(u) the layer wanted there (the cloud-trained
   * mixture at u), the input of a discovery job (cloud/discovery/job-task.ts).
   */
  samples: z.optional(
    z
      .strictObject({
        u: z.array(z.number()).check(z.maxLength(MAX_HUNGER_SAMPLES)),
        phi: z.array(z.number()).check(z.maxLength(MAX_HUNGER_SAMPLES)),
      })
      .check(
        z.refine((s) => s.u.length === s.phi.length, { message: 'u and phi must have the same length' }),
      ),
  ),
});
export type HungerRecord = z.output<typeof HungerRecordSchema>;

/** `tel/perf` records: step latency percentiles, steps run and the running error. */
export const PerfRecordSchema = z.looseObject({
  t: time(),
  /** Median and 99th-percentile step latency over the reporting window, in µs. */
  p50Us: nonNegative(),
  p99Us: nonNegative(),
  steps: z.optional(nonNegativeInt()),
  engine: z.optional(z.string()),
  /**
   * The profile's stepLatencyBudgetUs, and whether the window's p50 was over it: a miss is
   * reported (here, in the summary, on the dashboard), never a reason to stop.
   */
  budgetUs: z.optional(z.number().check(z.positive())),
  overBudget: z.optional(z.boolean()),
  /** Engines of the profile's order not used, and why (e.g. a native addon that crashed on load). */
  engineFallbacks: z.optional(z.array(z.object({ engine: z.string(), reason: z.string() }))),
  /** Mean squared error over the window, when labels arrive. */
  mse: z.optional(nonNegative()),
  /** Mean τ over neurons at the end of the window. */
  tauMean: z.optional(z.number().check(z.positive())),
});
export type PerfRecord = z.output<typeof PerfRecordSchema>;

/** `evt/drift` records: the shape of device/drift/types.ts DriftEvent, plus a record time. */
export const DriftRecordSchema = z.looseObject({
  t: time(),
  step: nonNegativeInt(),
  detector: text(1, 64),
  statistic: z.number(),
  threshold: z.number(),
  state: z.record(z.string(), z.number()),
});
export type DriftRecord = z.output<typeof DriftRecordSchema>;

/**
 * `evt/detection` records: a keyword a voice model spotted (shared/audio/detection.ts), with the
 * wall-clock time `t` (ms) and where in the device's audio it fired (`audioS`, seconds).
 */
export const DetectionRecordSchema = z.looseObject({
  t: time(),
  word: text(1, 64),
  audioS: nonNegative(),
  confidence: z.number().check(z.gte(0), z.lte(1)),
  modelVersion: z.optional(text(0, 128)),
});
export type DetectionRecord = z.output<typeof DetectionRecordSchema>;
