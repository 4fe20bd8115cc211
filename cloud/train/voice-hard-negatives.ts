/**
 * Hard-negative mining for a keyword spotter (issue 18). A classifier trained on isolated clips
 * meets, in a stream, every window a hop apart over words it has never heard, and fires on the
 * ones that sound a little like a keyword. Keyword spotters fix that by listening to speech
 * that holds no keyword and training on what they wrongly accept:
 *
 *   1. a seeded stream of non-keyword speech: training speakers saying the training 'other'
 *      words over the stream backgrounds (voice-stream.ts with no keywords), so no validation or
 *      test voice and no held-out stream word is ever heard;
 *   2. every clip of it, one hop apart, scored by the model (voice-metrics.ts clipTrack);
 *   3. the clips whose largest keyword posterior reaches `minPosterior`, most confident first,
 *      at most `maxClips`, labelled 'other': the false accepts the model makes, or nearly makes;
 *   4. the model trained on for `epochs` more, from its weights, on its data plus those clips
 *      (clips from the stream's last fifth go to validation, so early stopping sees them too)
 *      and as many keyword clips replayed from the data, so the classes keep their shares.
 *
 * Each round mines a new stream with the model the last round left, and keeps every clip
 * mined before. Seeded throughout: the same seed mines the same clips.
 */
import type { HybridModel } from '../../shared/model/model.js';
import { concatSets, standardize } from '../tasks/voice.js';
import { clipTrack } from '../tasks/voice-metrics.js';
import type { Standardizer, WindowSet } from './windows.js';

export interface HardNegativeOptions {
  /** Mining rounds (0: none). @defaultValue 2 */
  readonly rounds: number;
  /** Seconds of non-keyword speech listened to per round. @defaultValue 300 */
  readonly streamS: number;
  /** A clip is kept when some keyword's posterior reaches this. @defaultValue 0.5 */
  readonly minPosterior: number;
  /** Most clips kept per round. @defaultValue 300 */
  readonly maxClips: number;
  /** Epochs trained on after each round. @defaultValue 10 */
  readonly epochs: number;
  /** Adam step size of the training after each round. @defaultValue 3e-3 */
  readonly lr: number;
  /** Hop between the scored clips. @defaultValue 100 */
  readonly hopMs: number;
}

export const HARD_NEGATIVE_DEFAULTS: Readonly<HardNegativeOptions> = Object.freeze({
  rounds: 2,
  streamS: 300,
  minPosterior: 0.5,
  maxClips: 300,
  epochs: 10,
  lr: 3e-3,
  hopMs: 100,
});

export interface MinedClips {
  /** Mined clips labelled 'other', standardised like the training set. */
  readonly train: WindowSet;
  readonly val: WindowSet;
  /** Clips scored. */
  readonly scored: number;
  /** Clips whose keyword posterior reached minPosterior (before the cap). */
  readonly found: number;
}

/**
 * The clips of `samples` (non-keyword audio at the clip features' rate) that `model` (raw
 * features in: it carries its input scaling) scores as a keyword, as 'other' rows.
 */
export function mineHardNegatives(
  model: HybridModel,
  samples: Float32Array,
  scaling: Standardizer,
  otherClass: number,
  o: Pick<HardNegativeOptions, 'minPosterior' | 'maxClips' | 'hopMs'>,
): MinedClips {
  const track = clipTrack(model, samples, o.hopMs, 256, true);
  const C = track.classes;
  const n = track.t.length;
  const per = (track.features?.length ?? 0) / Math.max(1, n);
  const dim = scaling.mean.length;
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const l = track.logits.subarray(i * C, (i + 1) * C);
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, l[c]!);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(l[c]! - max);
    let best = 0;
    for (let c = 0; c < C; c++) if (c !== otherClass) best = Math.max(best, Math.exp(l[c]! - max) / z);
    score[i] = best;
  }
  const hits = [...score.keys()].filter((i) => score[i]! >= o.minPosterior);
  const kept = [...hits].sort((a, b) => score[b]! - score[a]! || a - b).slice(0, o.maxClips);
  const end = track.t[n - 1] ?? 0;
  const set = (rows: number[]): WindowSet => {
    const x = new Float64Array(rows.length * per);
    const y = new Float64Array(rows.length * C);
    rows.forEach((i, r) => {
      x.set(track.features!.subarray(i * per, (i + 1) * per), r * per);
      y[r * C + otherClass] = 1;
    });
    standardize(x, scaling);
    return {
      x,
      y,
      last: new Float64Array(rows.length),
      n: rows.length,
      window: per / dim,
      inputs: dim,
      outputs: C,
    };
  };
  const ordered = kept.sort((a, b) => a - b);
  return {
    train: set(ordered.filter((i) => track.t[i]! <= 0.8 * end)),
    val: set(ordered.filter((i) => track.t[i]! > 0.8 * end)),
    scored: n,
    found: hits.length,
  };
}

/** `b`'s rows after `a`'s (either may be empty). */
export function withRows(a: WindowSet, b: WindowSet): WindowSet {
  return b.n === 0 ? a : concatSets(a, b);
}

/**
 * `count` keyword rows of `set` (rows whose class is not `otherClass`), taken in turn from
 * `offset`: added next to as many mined 'other' clips, they keep the classes' shares as they
 * were, so mining teaches what is not a keyword without teaching the model to say 'other' more
 * often (without them, two rounds took clip accuracy on training voices from 0.93 to 0.72).
 */
export function keywordReplay(set: WindowSet, otherClass: number, count: number, offset: number): WindowSet {
  const C = set.outputs;
  const per = set.window * set.inputs;
  const keywordRows: number[] = [];
  for (let r = 0; r < set.n; r++) if (set.y[r * C + otherClass] !== 1) keywordRows.push(r);
  const n = keywordRows.length ? count : 0;
  const x = new Float64Array(n * per);
  const y = new Float64Array(n * C);
  for (let k = 0; k < n; k++) {
    const r = keywordRows[(offset + k) % keywordRows.length]!;
    x.set(set.x.subarray(r * per, (r + 1) * per), k * per);
    y.set(set.y.subarray(r * C, (r + 1) * C), k * C);
  }
  return { x, y, last: new Float64Array(n), n, window: set.window, inputs: set.inputs, outputs: C };
}
