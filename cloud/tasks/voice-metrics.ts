/**
 * Keyword-spotting metrics on a stream with known word times (voice-stream.ts), as keyword
 * spotters are judged:
 *
 *   miss rate = keywords without a matching detection / keywords spoken,
 *   false accepts per hour = detections that match no keyword / hours of audio.
 *
 * A detection matches a keyword event when it names the same word, fires between the word's
 * start and `afterS` seconds past its end (the clip that fires ends after the word; smoothing
 * adds a few hops), and that event is not matched yet. Everything else is a false accept: a
 * detection during other speech or background, a wrong word, a second event for one word.
 *
 * clipTrack() scores every clip of a stream with the float64 reference runner (the shared clip
 * assembler, the model's own input scaling), and sweep() replays the shared detector over that
 * track at several thresholds: the trade-off between misses and false accepts.
 */
import { ClipAssembler } from '../../shared/audio/clip-stream.js';
import { type Detection, type DetectorOptions, KeywordDetector } from '../../shared/audio/detection.js';
import type { HybridModel } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import type { StreamEvent } from './voice-stream.js';

export interface KwsScore {
  readonly keywords: number;
  readonly hits: number;
  readonly misses: number;
  readonly missRate: number;
  readonly falseAccepts: number;
  readonly hours: number;
  readonly falseAcceptsPerHour: number;
}

/** Seconds after a keyword's end in which its detection still counts. @defaultValue 1.5 */
export const MATCH_AFTER_S = 1.5;

export function scoreDetections(
  detections: readonly Detection[],
  events: readonly StreamEvent[],
  durationS: number,
  afterS = MATCH_AFTER_S,
): KwsScore {
  const keywords = events.filter((e) => e.keyword);
  const matched = new Uint8Array(keywords.length);
  let falseAccepts = 0;
  for (const d of detections) {
    const k = keywords.findIndex(
      (e, i) => !matched[i] && e.word === d.word && d.t >= e.start && d.t <= e.end + afterS,
    );
    if (k >= 0) matched[k] = 1;
    else falseAccepts++;
  }
  const hits = matched.reduce((a, b) => a + b, 0);
  const hours = durationS / 3600;
  return {
    keywords: keywords.length,
    hits,
    misses: keywords.length - hits,
    missRate: keywords.length ? (keywords.length - hits) / keywords.length : 0,
    falseAccepts,
    hours,
    falseAcceptsPerHour: falseAccepts / hours,
  };
}

/** Every clip's scores: end times [n] and logits [n, classes]. */
export interface ClipTrack {
  readonly t: Float64Array;
  readonly logits: Float64Array;
  readonly classes: number;
}

/**
 * Scores of every clip, one hop apart, of audio at the clip features' rate; with keepFeatures,
 * also each clip's raw features [n, steps, dim] (hard-negative mining trains on them).
 */
export function clipTrack(
  model: HybridModel,
  samples: Float32Array,
  hopMs: number,
  batch = 256,
  keepFeatures = false,
): ClipTrack & { readonly features?: Float64Array } {
  const asm = new ClipAssembler({ hopMs });
  const { steps, dim } = asm;
  const C = model.outputs;
  const ts: number[] = [];
  const logits: number[] = [];
  const kept: Float64Array[] = [];
  const runner = new ReferenceRunner(model, batch);
  const x = new Float64Array(batch * steps * dim);
  const step = new Float64Array(batch * dim);
  const out = new Float64Array(batch * C);
  let filled = 0;
  const flush = () => {
    if (filled === 0) return;
    runner.reset();
    for (let s = 0; s < steps; s++) {
      for (let k = 0; k < batch; k++)
        step.set(x.subarray((k * steps + s) * dim, (k * steps + s + 1) * dim), k * dim);
      runner.step(step, model.dtDefault, out);
    }
    for (let k = 0; k < filled; k++) logits.push(...out.subarray(k * C, (k + 1) * C));
    filled = 0;
  };
  const take = (clips: Iterable<{ features: Float64Array; tEnd: number }>) => {
    for (const c of clips) {
      x.set(c.features, filled * steps * dim);
      if (keepFeatures) kept.push(Float64Array.from(c.features));
      ts.push(c.tEnd);
      if (++filled === batch) flush();
    }
  };
  // feed the audio a second at a time, as a device would receive it
  const chunk = 16000;
  for (let i = 0; i < samples.length; i += chunk) take(asm.push(samples.subarray(i, i + chunk)));
  take(asm.finish());
  flush();
  const track = { t: Float64Array.from(ts), logits: Float64Array.from(logits), classes: C };
  if (!keepFeatures) return track;
  const features = new Float64Array(kept.length * steps * dim);
  kept.forEach((f, i) => {
    features.set(f, i * steps * dim);
  });
  return { ...track, features };
}

/** The shared detector run over a track. */
export function detectionsOf(track: ClipTrack, o: DetectorOptions): Detection[] {
  const det = new KeywordDetector(o);
  const C = track.classes;
  const out: Detection[] = [];
  for (let i = 0; i < track.t.length; i++) {
    const d = det.push(track.logits.subarray(i * C, (i + 1) * C), track.t[i]!);
    if (d) out.push(d);
  }
  return out;
}

export interface SweepRow extends KwsScore {
  readonly threshold: number;
}

/** Miss rate and false accepts per hour at each threshold. */
export function sweep(
  track: ClipTrack,
  o: Omit<DetectorOptions, 'threshold'>,
  events: readonly StreamEvent[],
  durationS: number,
  thresholds: readonly number[] = DETECTOR_SEARCH.thresholds,
): SweepRow[] {
  return thresholds.map((threshold) => ({
    threshold,
    ...scoreDetections(detectionsOf(track, { ...o, threshold }), events, durationS),
  }));
}

/** The lowest miss rate whose false accepts per hour stay within `maxFaPerHour`, or null. */
export function operatingPoint(rows: readonly SweepRow[], maxFaPerHour = 2): SweepRow | null {
  let best: SweepRow | null = null;
  for (const r of rows) {
    if (r.falseAcceptsPerHour <= maxFaPerHour && (!best || r.missRate < best.missRate)) best = r;
  }
  return best;
}

/** Detector smoothings and thresholds chooseDetector() tries. */
export const DETECTOR_SEARCH = Object.freeze({
  smoothClips: Object.freeze([1, 3, 5]),
  thresholds: Object.freeze([0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99]),
});

export interface ChosenDetector {
  readonly smoothClips: number;
  readonly threshold: number;
  readonly score: KwsScore;
}

/**
 * The detector setting (smoothing, threshold) with the lowest miss rate at ≤ `maxFaPerHour` on
 * a validation stream; when none stays under, the one with the fewest false accepts (then the
 * fewest misses).
 */
export function chooseDetector(
  track: ClipTrack,
  classes: readonly string[],
  events: readonly StreamEvent[],
  durationS: number,
  maxFaPerHour = 2,
  search: {
    readonly smoothClips: readonly number[];
    readonly thresholds: readonly number[];
  } = DETECTOR_SEARCH,
): ChosenDetector {
  let best: ChosenDetector | null = null;
  const better = (a: KwsScore, b: KwsScore) => {
    const okA = a.falseAcceptsPerHour <= maxFaPerHour;
    const okB = b.falseAcceptsPerHour <= maxFaPerHour;
    if (okA !== okB) return okA;
    if (!okA)
      return (
        a.falseAccepts < b.falseAccepts || (a.falseAccepts === b.falseAccepts && a.missRate < b.missRate)
      );
    return a.missRate < b.missRate || (a.missRate === b.missRate && a.falseAccepts < b.falseAccepts);
  };
  for (const smoothClips of search.smoothClips) {
    for (const r of sweep(track, { classes, smoothClips }, events, durationS, search.thresholds)) {
      const { threshold, ...score } = r;
      if (!best || better(score, best.score)) best = { smoothClips, threshold, score };
    }
  }
  if (!best) throw new Error('chooseDetector: no smoothing or threshold to try');
  return best;
}
