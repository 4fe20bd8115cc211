/**
 * Telemetry the device sends and the cloud stores (DESIGN rows `tel/hunger`, `tel/perf`,
 * `evt/drift`): batches {stream, seq, records[]} from the device's on-disk outbox. `seq` counts
 * batches within one outbox stream, so the cloud stores each batch once however often it is
 * replayed. Record schemas are loose: a newer device may add fields an older cloud keeps in the
 * stored JSON without understanding them.
 */
import { z } from 'zod';
import { PARAM_PATTERN } from './topics.js';

/** Most records one batch may carry. */

/** Most (u, φ) pairs one hunger record carries. */
export const MAX_HUNGER_SAMPLES = 4096;
export const MAX_BATCH_RECORDS = 10_000;

export const TelemetryBatchSchema = z.object({
  /** The device's outbox stream (e.g. one per boot); seq counts within it. @defaultValue 'main' */
  stream: z.string().regex(PARAM_PATTERN).default('main'),
  seq: z.number().int().nonnegative(),
  records: z.array(z.unknown()).min(1).max(MAX_BATCH_RECORDS),
});
export type TelemetryBatch = z.output<typeof TelemetryBatchSchema>;

/**
 * `tel/hunger` records (cloud/train/hunger.ts defines the signals): per layer, the selector's
 * normalised mixture entropy and the relative loss gap between the best single entry and the
 * soft mixture.
 */
export const HungerRecordSchema = z
  .object({
    t: z.number().int().nonnegative().optional(),
    layer: z.number().int().nonnegative(),
    entropy: z.number(),
    gap: z.number().optional(),
    hungry: z.boolean().optional(),
    /** Name of the best single library entry the device found for this layer. */
    bestSingle: z.string().max(128).optional(),
    /**
     * Pre-activation samples u and the shape φ(u) the layer wanted there (the cloud-trained
     * mixture at u), the input of a discovery job (cloud/discovery/job-task.ts).
     */
    samples: z
      .object({
        u: z.array(z.number()).max(MAX_HUNGER_SAMPLES),
        phi: z.array(z.number()).max(MAX_HUNGER_SAMPLES),
      })
      .strict()
      .refine((s) => s.u.length === s.phi.length, { message: 'u and phi must have the same length' })
      .optional(),
  })
  .loose();
export type HungerRecord = z.output<typeof HungerRecordSchema>;

/** `tel/perf` records: step latency percentiles, steps run and the running error. */
export const PerfRecordSchema = z
  .object({
    t: z.number().int().nonnegative().optional(),
    /** Median and 99th-percentile step latency over the reporting window, in µs. */
    p50Us: z.number().nonnegative(),
    p99Us: z.number().nonnegative(),
    steps: z.number().int().nonnegative().optional(),
    engine: z.string().optional(),
    /**
     * The profile's stepLatencyBudgetUs, and whether the window's p50 was over it: a miss is
     * reported (here, in the summary, on the dashboard), never a reason to stop.
     */
    budgetUs: z.number().positive().optional(),
    overBudget: z.boolean().optional(),
    /** Engines of the profile's order not used, and why (e.g. a native addon that crashed on load). */
    engineFallbacks: z.array(z.object({ engine: z.string(), reason: z.string() })).optional(),
    /** Mean squared error over the window, when labels arrive. */
    mse: z.number().nonnegative().optional(),
    /** Mean τ over neurons at the end of the window. */
    tauMean: z.number().positive().optional(),
  })
  .loose();
export type PerfRecord = z.output<typeof PerfRecordSchema>;

/** `evt/drift` records: the shape of device/drift/types.ts DriftEvent, plus a record time. */
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

/**
 * `evt/detection` records: a keyword a voice model spotted (shared/audio/detection.ts), with the
 * wall-clock time `t` (ms) and where in the device's audio it fired (`audioS`, seconds).
 */
export const DetectionRecordSchema = z
  .object({
    t: z.number().int().nonnegative().optional(),
    word: z.string().min(1).max(64),
    audioS: z.number().nonnegative(),
    confidence: z.number().min(0).max(1),
    modelVersion: z.string().max(128).optional(),
  })
  .loose();
export type DetectionRecord = z.output<typeof DetectionRecordSchema>;
