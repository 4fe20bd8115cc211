/**
 * Keyword detection events from a stream of clip scores (issue 18): a classifier scores a 1 s
 * clip every hop; a word is spotted when its posterior, smoothed over the last `smoothClips`
 * hops, reaches `threshold`, and then nothing fires for `refractoryS` seconds (one spoken word
 * covers several overlapping clips and must give one event).
 *
 *   p_t = softmax(logits_t),  p̄_t[c] = mean of p_{t−k}[c], k < min(smoothClips, clips so far),
 *   detect word c* = argmax over keywords of p̄_t  when p̄_t[c*] ≥ threshold and
 *   t ≥ t_last + refractoryS.
 *
 * The same detector runs on the device (device/runtime/clip-loop.ts) and in the cloud's stream
 * metrics, so a threshold chosen in the cloud means the same on the board. A push allocates
 * nothing; memory is fixed at construction however long the stream runs.
 */
import { InputError } from '../errors.js';

export interface DetectorOptions {
  /** Class names in output order. */
  readonly classes: readonly string[];
  /** Classes that are not keywords (never detected). @defaultValue ['other'] */
  readonly nonKeywords?: readonly string[];
  /** Smoothed posterior a keyword must reach. @defaultValue 0.8 */
  readonly threshold?: number;
  /** Clips averaged (the current one included). @defaultValue 3 */
  readonly smoothClips?: number;
  /** Seconds after a detection in which no other fires. @defaultValue 1 */
  readonly refractoryS?: number;
}

export const DETECTOR_DEFAULTS = Object.freeze({
  nonKeywords: Object.freeze(['other']),
  threshold: 0.8,
  smoothClips: 3,
  refractoryS: 1,
});

export interface Detection {
  readonly word: string;
  /** Seconds from the start of the audio to the end of the clip that fired. */
  readonly t: number;
  /** The smoothed posterior that passed the threshold. */
  readonly confidence: number;
}

export class KeywordDetector {
  readonly classes: readonly string[];
  readonly threshold: number;
  readonly smoothClips: number;
  readonly refractoryS: number;
  /** The smoothed posteriors after the last push, [classes]. */
  readonly smoothed: Float64Array;
  private readonly isKeyword: Uint8Array;
  /** The last smoothClips posteriors, [smoothClips, classes], row = clip index mod smoothClips. */
  private readonly ring: Float64Array;
  private clips = 0;
  private lastT = -Infinity;

  constructor(o: DetectorOptions) {
    const C = o.classes.length;
    this.classes = o.classes;
    this.threshold = o.threshold ?? DETECTOR_DEFAULTS.threshold;
    this.smoothClips = o.smoothClips ?? DETECTOR_DEFAULTS.smoothClips;
    this.refractoryS = o.refractoryS ?? DETECTOR_DEFAULTS.refractoryS;
    if (!(this.threshold > 0 && this.threshold <= 1))
      throw new InputError(`detection threshold must be in (0, 1], got ${this.threshold}`);
    if (!(Number.isInteger(this.smoothClips) && this.smoothClips >= 1))
      throw new InputError(
        `detection smoothing must be a whole number of clips ≥ 1, got ${this.smoothClips}`,
      );
    if (!(this.refractoryS >= 0))
      throw new InputError(`detection refractory time must be ≥ 0 s, got ${this.refractoryS}`);
    const non = o.nonKeywords ?? DETECTOR_DEFAULTS.nonKeywords;
    this.isKeyword = Uint8Array.from(o.classes, (c) => (non.includes(c) ? 0 : 1));
    if (!this.isKeyword.some((k) => k === 1))
      throw new InputError(`no keyword among the classes ${o.classes.join(', ')}`);
    this.smoothed = new Float64Array(C);
    this.ring = new Float64Array(this.smoothClips * C);
  }

  /** One clip's logits [classes] scored at time t (seconds); a detection or null. */
  push(logits: ArrayLike<number>, t: number): Detection | null {
    const C = this.classes.length;
    const row = (this.clips % this.smoothClips) * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[c]!);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[c]! - max);
    const n = Math.min(this.clips + 1, this.smoothClips);
    let best = -1;
    // a clip with a NaN or infinite score counts as no evidence for any class
    for (let c = 0; c < C; c++)
      this.ring[row + c] = Number.isFinite(max) && Number.isFinite(z) ? Math.exp(logits[c]! - max) / z : 0;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += this.ring[k * C + c]!;
      this.smoothed[c] = s / n;
      if (this.isKeyword[c] && (best < 0 || this.smoothed[c]! > this.smoothed[best]!)) best = c;
    }
    this.clips++;
    const confidence = this.smoothed[best]!;
    if (confidence < this.threshold || t < this.lastT + this.refractoryS) return null;
    this.lastT = t;
    return { word: this.classes[best]!, t, confidence };
  }

  /** Forget the history (a new audio stream). */
  reset(): void {
    this.ring.fill(0);
    this.smoothed.fill(0);
    this.clips = 0;
    this.lastT = -Infinity;
  }
}
