/**
 * Turning a clean rendered word into a training clip: trim espeak-ng's leading and trailing
 * silence, scale to a random level, place it in a fixed-length clip (centred plus a small
 * time shift; cropped around its centre when longer than the clip), and add white Gaussian
 * noise at a given SNR measured against the word's own power (so a quiet voice gets quiet
 * noise). Pure-noise clips for the "other" class come from noiseClip().
 */
import type { Rng } from '../../shared/numeric/rng.js';

/** [start, end) of the samples louder than `fraction` of the peak; [0, 0) for silence. */
export function activeRange(x: ArrayLike<number>, fraction = 0.02): [number, number] {
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]!));
  if (peak === 0) return [0, 0];
  const th = peak * fraction;
  let a = 0;
  while (Math.abs(x[a]!) < th) a++;
  let b = x.length;
  while (Math.abs(x[b - 1]!) < th) b--;
  return [a, b];
}

export interface MixOptions {
  /** Clip length in samples. */
  readonly clipSamples: number;
  /** Offset from centred, in samples (positive = later). */
  readonly shiftSamples: number;
  /** Signal-to-noise ratio in dB; Infinity adds no noise. */
  readonly snrDb: number;
  /** Peak level of the word after scaling, in (0, 1]. */
  readonly peak: number;
}

/** A clip [clipSamples] holding the word with noise; draws the noise from rng. */
export function mixWord(word: ArrayLike<number>, o: MixOptions, rng: Rng): Float32Array {
  const [a, b] = activeRange(word);
  const len = b - a;
  const out = new Float32Array(o.clipSamples);
  let peak = 0;
  for (let i = a; i < b; i++) peak = Math.max(peak, Math.abs(word[i]!));
  const gain = peak > 0 ? o.peak / peak : 0;
  // crop a long word around its centre, then centre + shift inside the clip
  const skip = Math.max(0, Math.floor((len - o.clipSamples) / 2));
  const n = Math.min(len, o.clipSamples);
  const free = o.clipSamples - n;
  const start = Math.max(0, Math.min(free, Math.floor(free / 2) + Math.round(o.shiftSamples)));
  let power = 0;
  for (let i = 0; i < n; i++) {
    const v = word[a + skip + i]! * gain;
    out[start + i] = v;
    power += v * v;
  }
  if (Number.isFinite(o.snrDb) && n > 0) {
    const std = Math.sqrt(power / n / 10 ** (o.snrDb / 10));
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + std * rng.normal();
  }
  return out;
}

/** Pure white noise of standard deviation `std`, [clipSamples]. */
export function noiseClip(clipSamples: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(clipSamples);
  for (let i = 0; i < clipSamples; i++) out[i] = std * rng.normal();
  return out;
}

/**
 * A clip [clipSamples] holding only the first or last `fraction` of the word's active part, cut
 * by the clip's edge: what a sliding window sees as a word enters or leaves it. Scaled to `peak`.
 */
export function partialWord(
  word: ArrayLike<number>,
  clipSamples: number,
  fraction: number,
  atEnd: boolean,
  peak: number,
): Float32Array {
  const [a, b] = activeRange(word);
  const out = new Float32Array(clipSamples);
  let max = 0;
  for (let i = a; i < b; i++) max = Math.max(max, Math.abs(word[i]!));
  const gain = max > 0 ? peak / max : 0;
  const n = Math.min(clipSamples, Math.max(1, Math.round((b - a) * fraction)));
  // entering at the clip's end: the word's first n samples; leaving at its start: the last n
  for (let i = 0; i < n; i++) {
    if (atEnd) out[clipSamples - n + i] = word[a + i]! * gain;
    else out[i] = word[b - n + i]! * gain;
  }
  return out;
}
