/**
 * What a microphone and a room do to a clip, applied to training clips so the model meets them
 * before the device does (issue 18): a simple room reverb, a gain of ±20 dB, background noise
 * from none (digital silence) down to 0 dB SNR, a DC offset and clipping. One clip's settings
 * are drawn first (drawChannel) and then applied in the order sound meets them:
 *
 *   room (reverb) → gain → noise at an SNR measured on the speech → DC offset → ADC (clip ±1).
 *
 * The reverb is a sparse room response: the direct sound plus `taps` reflections at random
 * delays up to the reverberation time RT60, each with a random sign and an amplitude that falls
 * by 60 dB over RT60 (exp(−6.91·d/RT60)), scaled so the reflections carry `wet` of the direct
 * sound's energy. Cheap (taps multiply-adds per sample) and enough to smear the spectrum the way
 * a small room does.
 */
import type { Rng } from '../../shared/numeric/rng.js';

export type NoiseColour = 'white' | 'brown';

/** One clip's channel, as drawn. */
export interface Channel {
  /** dB applied to the clip (0 = unchanged). */
  readonly gainDb: number;
  /** Noise relative to the speech power; Infinity = none (digital silence stays silent). */
  readonly snrDb: number;
  readonly noise: NoiseColour;
  /** Constant added to every sample (full scale is 1). */
  readonly dcOffset: number;
  /** Extra gain before the ±1 clipping of the converter, dB; 0 = no overdrive. */
  readonly driveDb: number;
  /** Room reverb, or null for a dry clip. */
  readonly reverb: { readonly rt60S: number; readonly wet: number } | null;
}

export const DRY: Channel = Object.freeze({
  gainDb: 0,
  snrDb: Infinity,
  noise: 'white',
  dcOffset: 0,
  driveDb: 0,
  reverb: null,
});

/** The ranges channels are drawn from; shares are probabilities per clip. */
export interface ChannelRanges {
  /** @defaultValue [-20, 20] */
  readonly gainDb: readonly [number, number];
  /** SNR when noise is added, dB. @defaultValue [0, 35] */
  readonly snrDb: readonly [number, number];
  /** Clips left without noise (digital silence around the word). @defaultValue 0.25 */
  readonly cleanShare: number;
  /** Noisy clips whose noise is brown (rumble) rather than white. @defaultValue 0.4 */
  readonly brownShare: number;
  /** @defaultValue 0.15 */
  readonly dcShare: number;
  /** Largest |DC offset|. @defaultValue 0.05 */
  readonly dcMax: number;
  /** @defaultValue 0.1 */
  readonly clipShare: number;
  /** Overdrive of clipped clips, dB above full scale at the peak. @defaultValue [3, 15] */
  readonly driveDb: readonly [number, number];
  /** @defaultValue 0.3 */
  readonly reverbShare: number;
  /** @defaultValue [0.1, 0.6] */
  readonly rt60S: readonly [number, number];
  /** Reflected energy relative to the direct sound. @defaultValue [0.1, 0.6] */
  readonly wet: readonly [number, number];
}

export const CHANNEL_DEFAULTS: Readonly<ChannelRanges> = Object.freeze({
  gainDb: [-20, 20] as const,
  snrDb: [0, 35] as const,
  cleanShare: 0.25,
  brownShare: 0.4,
  dcShare: 0.15,
  dcMax: 0.05,
  clipShare: 0.1,
  driveDb: [3, 15] as const,
  reverbShare: 0.3,
  rt60S: [0.1, 0.6] as const,
  wet: [0.1, 0.6] as const,
});

/** One clip's channel from the ranges (always draws the same number of values). */
export function drawChannel(r: ChannelRanges, rng: Rng): Channel {
  const gainDb = rng.uniform(r.gainDb[0], r.gainDb[1]);
  const clean = rng.next() < r.cleanShare;
  const snrDb = rng.uniform(r.snrDb[0], r.snrDb[1]);
  const brown = rng.next() < r.brownShare;
  const dc = rng.next() < r.dcShare;
  const dcOffset = rng.uniform(-r.dcMax, r.dcMax);
  const clip = rng.next() < r.clipShare;
  const driveDb = rng.uniform(r.driveDb[0], r.driveDb[1]);
  const reverb = rng.next() < r.reverbShare;
  const rt60S = rng.uniform(r.rt60S[0], r.rt60S[1]);
  const wet = rng.uniform(r.wet[0], r.wet[1]);
  return {
    gainDb,
    snrDb: clean ? Infinity : snrDb,
    noise: brown ? 'brown' : 'white',
    dcOffset: dc ? dcOffset : 0,
    driveDb: clip ? driveDb : 0,
    reverb: reverb ? { rt60S, wet } : null,
  };
}

/** x convolved in place with a sparse room response (see the header). */
export function roomReverb(
  x: Float32Array,
  sampleRate: number,
  rt60S: number,
  wet: number,
  rng: Rng,
  taps = 120,
): Float32Array {
  const delays = new Int32Array(taps);
  const gains = new Float64Array(taps);
  let energy = 0;
  const maxDelay = Math.max(2, Math.round(rt60S * sampleRate));
  for (let k = 0; k < taps; k++) {
    // early reflections are denser: delays spread as the square of a uniform draw
    const d = Math.max(1, Math.round(rng.next() ** 2 * maxDelay));
    delays[k] = d;
    gains[k] = (rng.next() < 0.5 ? -1 : 1) * Math.exp((-6.91 * d) / maxDelay);
    energy += gains[k]! ** 2;
  }
  const scale = energy > 0 ? Math.sqrt(wet / energy) : 0;
  const dry = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    let s = dry[i]!;
    for (let k = 0; k < taps; k++) {
      const j = i - delays[k]!;
      if (j >= 0) s += scale * gains[k]! * dry[j]!;
    }
    x[i] = s;
  }
  return x;
}

/** Noise of standard deviation `std` added to x in place; brown noise is integrated white noise. */
export function addNoise(x: Float32Array, std: number, colour: NoiseColour, rng: Rng): Float32Array {
  if (colour === 'white') {
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + std * rng.normal();
    return x;
  }
  // leaky integrator y[i] = 0.995·y[i−1] + w[i]: a 1/f² spectrum above ~13 Hz at 16 kHz;
  // its stationary variance is 1 / (1 − 0.995²), so w is scaled to give `std`
  const a = 0.995;
  const w = std * Math.sqrt(1 - a * a);
  let y = std * rng.normal();
  for (let i = 0; i < x.length; i++) {
    y = a * y + w * rng.normal();
    x[i] = x[i]! + y;
  }
  return x;
}

/** Mean power of x (its speech, before noise), 0 for silence. */
export function power(x: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== 0) {
      s += x[i]! * x[i]!;
      n++;
    }
  }
  return n > 0 ? s / n : 0;
}

/**
 * The channel applied to a clip in place. The SNR is measured on the clip's non-zero samples
 * (the word, not the silence around it); a clip with no speech gets no noise from the SNR.
 */
export function applyChannel(x: Float32Array, ch: Channel, sampleRate: number, rng: Rng): Float32Array {
  if (ch.reverb) roomReverb(x, sampleRate, ch.reverb.rt60S, ch.reverb.wet, rng);
  const g = 10 ** (ch.gainDb / 20);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * g;
  const p = power(x);
  if (Number.isFinite(ch.snrDb) && p > 0) addNoise(x, Math.sqrt(p / 10 ** (ch.snrDb / 10)), ch.noise, rng);
  const drive = 10 ** (ch.driveDb / 20);
  let peak = 0;
  for (let i = 0; i < x.length; i++) peak = Math.max(peak, Math.abs(x[i]!));
  // overdrive: scale the peak to `drive` times full scale, so the converter clips it
  const over = ch.driveDb > 0 && peak > 0 ? drive / peak : 1;
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]! * over + ch.dcOffset));
  return x;
}
