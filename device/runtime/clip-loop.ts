/**
 * The device loop for voice models: every clip from the WAV adapter is run through the step
 * graph from a zero state (one step per feature row) and its last output is the clip's class
 * scores. The shared keyword detector (shared/audio/detection.ts) smooths the posteriors over
 * hops and emits one line per spotted word: {"event":"detection","word","t","confidence"}.
 * With `clipLines`, every clip also gets a line: {"clip", "t", "y": scores, "class": argmax,
 * "label"?: name, "p"?: smoothed posterior of that class}.
 */
import { type Detection, type DetectorOptions, KeywordDetector } from '../../shared/audio/detection.js';
import type { ClipAdapter, InputCounters } from '../adapters/types.js';
import type { LoadedModel } from './bundle.js';
import type { EngineInfo, LatencyFigures } from './engine-start.js';
import { Reservoir, summarise } from './stats.js';
import type { StepSession } from './step-session.js';
import type { DeviceSummary } from './summary.js';

export interface ClipLoopOptions {
  readonly loaded: LoadedModel;
  readonly session: StepSession;
  readonly engine: EngineInfo;
  readonly calibration: LatencyFigures | null;
  readonly counters: InputCounters;
  readonly emit: ((line: string) => void) | null;
  /** Class names in output order, when known (detection needs them). */
  readonly classes?: readonly string[] | null;
  /** Threshold, smoothing and refractory time of the detector. @defaultValue DETECTOR_DEFAULTS */
  readonly detector?: Omit<DetectorOptions, 'classes'>;
  /** Milliseconds between clips (the summary reports it with the detector's setting). */
  readonly clipHopMs: number;
  /** Where `detector` came from, for the summary. @defaultValue 'defaults' */
  readonly detectorFrom?: 'model' | 'flags' | 'defaults';
  /** A line per clip besides the detections. @defaultValue false */
  readonly clipLines?: boolean;
  /** Called with every detection (the fleet agent sends them as telemetry). */
  readonly onDetection?: (d: Detection) => void;
}

/** `{"event":"detection",…}`, the line a spotted word prints. */
export function detectionLine(d: Detection): string {
  return JSON.stringify({ event: 'detection', word: d.word, t: d.t, confidence: d.confidence });
}

export async function runClipLoop(adapter: ClipAdapter, o: ClipLoopOptions): Promise<DeviceSummary> {
  const { session, loaded } = o;
  const D = adapter.dim;
  const dt = loaded.model.dtDefault;
  const latency = new Reservoir();
  const tau = summarise(session.tau);
  let steps = 0;
  let clips = 0;
  const detector =
    o.classes && o.classes.length === session.out.length
      ? new KeywordDetector({ ...o.detector, classes: o.classes })
      : null;
  const byWord: Record<string, number> = {};
  let detections = 0;
  for await (const clip of adapter.clips()) {
    session.resetState();
    let y = session.out;
    for (let s = 0; s < adapter.steps; s++) {
      const t0 = performance.now();
      y = await session.step(clip.features.subarray(s * D, (s + 1) * D), dt);
      latency.push((performance.now() - t0) * 1000);
      steps++;
    }
    const d = detector?.push(y, clip.tEnd) ?? null;
    if (o.clipLines || !detector) {
      let best = 0;
      for (let k = 1; k < y.length; k++) if (y[k]! > y[best]!) best = k;
      const label = o.classes?.[best];
      o.emit?.(
        JSON.stringify({
          clip: clip.index,
          t: clip.tEnd,
          y: Array.from(y),
          class: best,
          ...(label !== undefined ? { label } : {}),
          ...(detector ? { p: detector.smoothed[best] } : {}),
        }),
      );
    }
    if (d) {
      detections++;
      byWord[d.word] = (byWord[d.word] ?? 0) + 1;
      o.emit?.(detectionLine(d));
      o.onDetection?.(d);
    }
    clips++;
  }
  const [p50, p99] = latency.percentiles([50, 99]);
  const c = o.counters;
  return {
    steps,
    mse_first_half: null,
    mse_second_half: null,
    selections: [],
    tau: { adapted: false, initial: tau, final: tau, reverts: 0 },
    drift_events: [],
    latency_us: { p50: p50!, p99: p99!, calibration: o.calibration },
    skipped_samples: { total: c.nonFinite + c.malformed, non_finite: c.nonFinite, malformed: c.malformed },
    clamped_values: c.clamped,
    engine: { ...o.engine, quant: loaded.quant, profile: loaded.profile.name },
    clips,
    ...(detector
      ? {
          detections: {
            total: detections,
            by_word: byWord,
            setting: {
              threshold: detector.threshold,
              smooth_clips: detector.smoothClips,
              refractory_s: detector.refractoryS,
              hop_ms: o.clipHopMs,
              from: o.detectorFrom ?? 'defaults',
            },
          },
        }
      : {}),
  };
}
