/** The device run's closing report (`liquidkan device --json`), and its per-step output lines. */
import type { DriftEvent } from '../drift/types.js';
import type { BudgetReport, EngineInfo, LatencyFigures } from './engine-start.js';
import type { SelectionRecord } from './selection.js';
import type { RangeSummary } from './stats.js';

export interface DeviceSummary {
  /** Model steps run (for a voice model: clips × steps per clip). */
  readonly steps: number;
  /** Mean squared error of the labelled steps in each half of the run; null without targets. */
  readonly mse_first_half: number | null;
  readonly mse_second_half: number | null;
  readonly selections: SelectionRecord[];
  readonly tau: {
    readonly adapted: boolean;
    readonly initial: RangeSummary | null;
    readonly final: RangeSummary | null;
    readonly reverts: number;
  };
  readonly drift_events: { step: number; detector: string; statistic: number; threshold: number }[];
  /**
   * The residual detector's scale: the model's streaming test MSE in the target's units (from the
   * bundle's manifest or the training record), or null when it is off (no labels for what the
   * model was trained on, or no figure).
   */
  readonly residual_test_mse?: number | null;
  readonly latency_us: LatencyFigures & { readonly calibration: LatencyFigures | null };
  /**
   * The profile's step latency budget next to the calibration and the run's figures. A miss is
   * reported here (and in telemetry), never a reason to stop.
   */
  readonly latency_budget?: BudgetReport;
  /** Peak resident memory of the process so far against the profile's memoryBudgetMiB. */
  readonly memory?: {
    readonly peak_rss_mib: number;
    readonly budget_mib: number | null;
    readonly status: 'within' | 'over' | null;
  };
  readonly skipped_samples: {
    readonly total: number;
    readonly non_finite: number;
    readonly malformed: number;
  };
  /** Input values clamped into mean ± clampStd·std of the model's input scaling. */
  readonly clamped_values: number;
  readonly engine: EngineInfo & { readonly quant: string; readonly profile: string };
  /** Clips classified (voice models only). */
  readonly clips?: number;
  /** Keywords spotted (voice models with class names), in all and per word. */
  readonly detections?: {
    readonly total: number;
    readonly by_word: Readonly<Record<string, number>>;
    /** The detector's setting and where it came from: the bundle's validated one, flags, or the defaults. */
    readonly setting: {
      readonly threshold: number;
      readonly smooth_clips: number;
      readonly refractory_s: number;
      /** Milliseconds between clips: smoothing over smooth_clips spans this many times as long. */
      readonly hop_ms: number;
      readonly from: 'model' | 'flags' | 'defaults';
    };
  };
  /** With fleet sync: telemetry batches dropped to keep the outbox in its bounds, garbled
   * stretches skipped when it was opened, and batches still unsent. */
  readonly sync?: {
    readonly outbox_dropped: number;
    readonly outbox_torn: number;
    readonly outbox_unsent: number;
  };
}

export function driftRecord(e: DriftEvent): DeviceSummary['drift_events'][number] {
  return { step: e.step, detector: e.detector, statistic: e.statistic, threshold: e.threshold };
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/** `{"step":i,"y":[…],"t":t}` without going through an intermediate object. */
export function stepLine(step: number, y: Float64Array, t: number | null): string {
  let s = `{"step":${step},"y":[`;
  for (let i = 0; i < y.length; i++) s += (i ? ',' : '') + num(y[i]!);
  s += ']';
  if (t !== null) s += `,"t":${num(t)}`;
  return `${s}}`;
}
