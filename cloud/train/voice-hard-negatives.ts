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
import { DEVICE_CLIP_HOP_MS } from '../../shared/audio/clip-stream.js';
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
  /**
   * Share of the mining stream's words that are keywords (0: non-keyword speech only). A clip
   * that holds a whole keyword is a positive in the setting the device meets, neighbouring
   * words' edges included; those the model scores below `positiveBelow` are kept as that
   * keyword. @defaultValue 0
   */
  readonly keywordShare: number;
  /** A clip holding a whole keyword is kept when that keyword's posterior is below this. @defaultValue 0.9 */
  readonly positiveBelow: number;
}

export const HARD_NEGATIVE_DEFAULTS: Readonly<HardNegativeOptions> = Object.freeze({
  rounds: 2,
  streamS: 300,
  minPosterior: 0.5,
  maxClips: 300,
  epochs: 10,
  lr: 3e-3,
  hopMs: DEVICE_CLIP_HOP_MS,
  keywordShare: 0,
  positiveBelow: 0.9,
});

export interface MinedClips {
  /** Mined clips (false accepts as 'other', missed keywords as their keyword), standardised like the training set. */
  readonly train: WindowSet;
  readonly val: WindowSet;
  /** Clips scored. */
  readonly scored: number;
  /** Clips whose keyword posterior reached minPosterior (before the cap). */
  readonly found: number;
  /** Clips holding a whole keyword scored below positiveBelow (before the cap). */
  readonly foundPositives: number;
  /** Of the kept clips, those labelled as a keyword. */
  readonly positives: number;
}

/** A word placed in the mining stream (voice-stream.ts StreamEvent), class index for keywords. */
export interface MiningEvent {
  readonly start: number;
  readonly end: number;
  /** The keyword's class, or null for a non-keyword. */
  readonly keyword: number | null;
}

/**
 * The clips of `samples` (audio at the clip features' rate) that `model` (raw features in: it
 * carries its input scaling) gets wrong: clips overlapping no keyword in `events` that it scores
 * as a keyword, as 'other' rows, and clips holding one whole keyword that it scores low, as that
 * keyword's rows. Clips that cut a keyword are left out: neither answer is wrong there.
 */
export function mineHardNegatives(
  model: HybridModel,
  samples: Float32Array,
  scaling: Standardizer,
  otherClass: number,
  o: Pick<HardNegativeOptions, 'minPosterior' | 'maxClips' | 'hopMs'> &
    Partial<Pick<HardNegativeOptions, 'positiveBelow'>>,
  events: readonly MiningEvent[] = [],
): MinedClips {
  const track = clipTrack(model, samples, o.hopMs, 256, true);
  const C = track.classes;
  const n = track.t.length;
  const per = (track.features?.length ?? 0) / Math.max(1, n);
  const dim = scaling.mean.length;
  const score = new Float64Array(n);
  /** Per clip: otherClass (no keyword in it), a keyword's class (it holds it whole), or -1 (cut). */
  const label = new Int32Array(n).fill(otherClass);
  const clipS = track.t[0] ?? 0;
  let first = 0;
  const probs = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const l = track.logits.subarray(i * C, (i + 1) * C);
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, l[c]!);
    let z = 0;
    for (let c = 0; c < C; c++) z += probs[c] = Math.exp(l[c]! - max);
    const t1 = track.t[i]!;
    const t0 = t1 - clipS;
    while (first < events.length && events[first]!.end <= t0) first++;
    for (let e = first; e < events.length && events[e]!.start < t1; e++) {
      const k = events[e]!.keyword;
      if (k === null) continue;
      const whole = events[e]!.start >= t0 && events[e]!.end <= t1;
      label[i] = whole && label[i] === otherClass ? k : -1;
    }
    let best = 0;
    if (label[i] === otherClass) {
      for (let c = 0; c < C; c++) if (c !== otherClass) best = Math.max(best, probs[c]! / z);
    } else if (label[i]! >= 0) best = probs[label[i]!]! / z;
    score[i] = best;
  }
  const all = [...score.keys()];
  const hits = all.filter((i) => label[i] === otherClass && score[i]! >= o.minPosterior);
  const misses = all.filter(
    (i) => label[i]! >= 0 && label[i] !== otherClass && score[i]! < (o.positiveBelow ?? 0.9),
  );
  const kept = [
    ...[...hits].sort((a, b) => score[b]! - score[a]! || a - b).slice(0, o.maxClips),
    ...[...misses].sort((a, b) => score[a]! - score[b]! || a - b).slice(0, o.maxClips),
  ];
  const end = track.t[n - 1] ?? 0;
  const set = (rows: number[]): WindowSet => {
    const x = new Float64Array(rows.length * per);
    const y = new Float64Array(rows.length * C);
    rows.forEach((i, r) => {
      x.set(track.features!.subarray(i * per, (i + 1) * per), r * per);
      y[r * C + label[i]!] = 1;
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
    foundPositives: misses.length,
    positives: kept.length - Math.min(hits.length, o.maxClips),
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
