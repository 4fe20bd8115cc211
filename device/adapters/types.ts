/**
 * The input adapter contract: an async stream of samples for the device loop. A sample's arrays
 * belong to the adapter and are reused: they are valid until the next one is pulled, so the
 * loop's step path allocates nothing per sample.
 */
import type { Clip } from '../../shared/audio/clip-stream.js';

export type { Clip };

export interface Sample {
  /** The model's inputs, [inputs], raw units (the step graph applies the model's scaling). */
  readonly x: Float64Array;
  /** Labels for this step, [outputs]; null when the row has none. */
  readonly y: Float64Array | null;
  /** Δt to the previous sample in the model's time unit; null = the model's default. */
  readonly dt: number | null;
  /** Time stamp to echo on the output line (seconds for audio, a row's time for CSV), if any. */
  readonly t: number | null;
}

/** What adapters and the loop count instead of dying on bad input. */
export interface InputCounters {
  /** Samples dropped for a NaN, an infinity or a missing value among the inputs. */
  nonFinite: number;
  /** Lines dropped because they could not be parsed at all (bad JSON, wrong cell count). */
  malformed: number;
  /** Input values clamped into the model's range (counted per value). */
  clamped: number;
}

export function newCounters(): InputCounters {
  return { nonFinite: 0, malformed: 0, clamped: 0 };
}

/** Where an adapter writes its one-line complaints (stderr in the CLI). */
export type LogLine = (line: string) => void;

export interface InputAdapter {
  /** For the summary and logs. */
  readonly kind: 'csv' | 'jsonl';
  /** Samples in order; ends with the input. */
  samples(): AsyncIterable<Sample>;
  /** Rows known up front (a CSV file), else null; the loop uses it to pick the selection point. */
  readonly expectedSamples: number | null;
}

/** A reusable sample record the adapters fill in. */
export interface MutableSample {
  x: Float64Array;
  y: Float64Array | null;
  dt: number | null;
  t: number | null;
}

export function mutableSample(inputs: number, outputs: number | null): MutableSample {
  return {
    x: new Float64Array(inputs),
    y: outputs === null ? null : new Float64Array(outputs),
    dt: null,
    t: null,
  };
}

export interface ClipAdapter {
  readonly kind: 'wav';
  /** Time steps per clip and features per step. */
  readonly steps: number;
  readonly dim: number;
  clips(): AsyncIterable<Clip>;
}
