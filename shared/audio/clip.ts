/**
 * Fixed-length clip features for a classifier that reads a sequence: the samples are padded
 * with zeros (or cropped) to clipMs, turned into frame features, then made level-free per clip:
 *
 *   1. floor: log energies below (the clip's loudest band energy − dynamicRangeDb) are raised to
 *      that floor, so digital silence, a muted microphone or a quiet background all map to the
 *      same defined value instead of log(1e-10), far outside anything seen in training;
 *   2. mean removal: each feature's mean over the clip is subtracted (a gain g adds 2·ln g to
 *      every log energy, so this removes the microphone gain and the voice's loudness);
 *   3. pooling: groups of poolFrames consecutive frames are averaged so a recurrent model steps
 *      fewer times (98 frames → 32 steps at pool 3).
 *
 * Steps 1 and 2 make the features invariant to the input's gain (up to clipping and
 * quantisation), and a clip of exact zeros gives all-zero features. The batch path
 * (clipFeatures) and the streaming path (clip-stream.ts) share clipFromFrames, so training, the
 * device and the browser preview compute the same numbers.
 *
 * Shapes: samples [n] at config.features.sampleRate → [steps, dim] row-major with
 * steps = floor(frames(clipSamples) / poolFrames).
 */
import { InputError } from '../errors.js';
import { computeFeatures, FEATURE_DEFAULTS, type FeatureConfig } from './features.js';
import { frameCount, frameSizes } from './frames.js';

export interface ClipConfig {
  readonly features: FeatureConfig;
  /** @defaultValue 1000 */
  readonly clipMs: number;
  /** Frames averaged into one time step. @defaultValue 3 */
  readonly poolFrames: number;
  /** Subtract each feature's mean over the clip (before pooling). @defaultValue true */
  readonly meanNormalize: boolean;
  /**
   * Log-mel energies more than this many dB below the clip's loudest are raised to that level
   * (log-mel features only); null keeps the absolute floor alone. @defaultValue null
   */
  readonly dynamicRangeDb: number | null;
}

export const CLIP_DEFAULTS: Readonly<ClipConfig> = Object.freeze({
  features: FEATURE_DEFAULTS,
  clipMs: 1000,
  poolFrames: 3,
  meanNormalize: true,
  dynamicRangeDb: null,
});

/**
 * The keyword models' clip features, used by training (cloud/tasks/voice.ts), the device
 * (device/adapters/wav.ts) and the dashboard preview: 20 log-mel energies (20 Hz–8 kHz, HTK mel)
 * of 25 ms Hann frames every 10 ms at 16 kHz with each frame's DC removed, floored 40 dB below
 * the clip's loudest, clip mean removed, 3 frames pooled: 1 s → [32, 20]. Log-mel beat 13 MFCC
 * on held-out utterances here (about 0.87 vs 0.78 test accuracy).
 */
export const VOICE_CLIP: Readonly<ClipConfig> = Object.freeze({
  ...CLIP_DEFAULTS,
  features: Object.freeze({ ...FEATURE_DEFAULTS, kind: 'logmel' as const, numMel: 20, removeDc: true }),
  dynamicRangeDb: 40,
});

/** The clip length in samples and the [steps, dim] shape of its features. */
export function clipShape(c: ClipConfig) {
  const f = c.features;
  if (c.dynamicRangeDb !== null && !(f.kind === 'logmel' && c.dynamicRangeDb > 0)) {
    throw new InputError(
      `clip dynamicRangeDb ${c.dynamicRangeDb} needs positive dB and log-mel features (kind is '${f.kind}')`,
    );
  }
  const samples = Math.round((f.sampleRate * c.clipMs) / 1000);
  const { window, hop } = frameSizes(f.sampleRate, f.windowMs, f.hopMs);
  const frames = frameCount(samples, window, hop);
  const dim = f.kind === 'mfcc' ? f.numCeps : f.numMel;
  return { samples, frames, steps: Math.floor(frames / c.poolFrames), dim };
}

/**
 * One clip's [steps, dim] features into `out` from `frames` consecutive frames of [dim] frame
 * features held in a ring: frame j of the clip is row (start + j) mod frames of `ring`. The
 * ring is only read. `scratch` [dim] is working space, so a stream allocates nothing per clip.
 */
export function clipFromFrames(
  ring: Float64Array,
  frames: number,
  start: number,
  c: ClipConfig,
  scratch: Float64Array,
  out: Float64Array,
): Float64Array {
  const dim = scratch.length;
  const steps = Math.floor(frames / c.poolFrames);
  let floor = -Infinity;
  if (c.dynamicRangeDb !== null) {
    let max = -Infinity;
    for (let i = 0; i < frames * dim; i++) max = Math.max(max, ring[i]!);
    // values are ln(energy); x dB is a factor 10^(x/10), i.e. x·ln(10)/10 in ln units
    floor = max - (c.dynamicRangeDb * Math.LN10) / 10;
  }
  const mean = scratch.fill(0);
  if (c.meanNormalize && frames > 0) {
    for (let r = 0; r < frames; r++)
      for (let d = 0; d < dim; d++) mean[d]! += Math.max(ring[r * dim + d]!, floor);
    for (let d = 0; d < dim; d++) mean[d]! /= frames;
  }
  const P = c.poolFrames;
  for (let s = 0; s < steps; s++) {
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      for (let p = 0; p < P; p++) sum += Math.max(ring[((start + s * P + p) % frames) * dim + d]!, floor);
      out[s * dim + d] = sum / P - mean[d]!;
    }
  }
  return out;
}

/** [steps, dim] features of one clip; samples beyond clipMs are dropped, missing ones are 0. */
export function clipFeatures(samples: ArrayLike<number>, c: ClipConfig = CLIP_DEFAULTS): Float64Array {
  const shape = clipShape(c);
  const padded = new Float64Array(shape.samples);
  const n = Math.min(samples.length, shape.samples);
  for (let i = 0; i < n; i++) padded[i] = samples[i]!;
  const f = computeFeatures(padded, c.features);
  const out = new Float64Array(shape.steps * shape.dim);
  return clipFromFrames(f.data, f.frames, 0, c, new Float64Array(shape.dim), out);
}
