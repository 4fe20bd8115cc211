/**
 * Fixed-length clip features for a classifier that reads a sequence: the samples are padded
 * with zeros (or cropped) to clipMs, turned into frame features, mean-normalised over the clip
 * (removes the channel: microphone, voice loudness), and averaged over groups of poolFrames
 * consecutive frames so a recurrent model steps fewer times (98 frames → 32 steps at pool 3).
 *
 * Shapes: samples [n] at config.features.sampleRate → [steps, dim] row-major with
 * steps = floor(frames(clipSamples) / poolFrames).
 */
import { computeFeatures, FEATURE_DEFAULTS, type FeatureConfig, subtractMean } from './features.js';
import { frameCount, frameSizes } from './frames.js';

export interface ClipConfig {
  readonly features: FeatureConfig;
  /** @defaultValue 1000 */
  readonly clipMs: number;
  /** Frames averaged into one time step. @defaultValue 3 */
  readonly poolFrames: number;
  /** Subtract each feature's mean over the clip (before pooling). @defaultValue true */
  readonly meanNormalize: boolean;
}

export const CLIP_DEFAULTS: Readonly<ClipConfig> = Object.freeze({
  features: FEATURE_DEFAULTS,
  clipMs: 1000,
  poolFrames: 3,
  meanNormalize: true,
});

/** The clip length in samples and the [steps, dim] shape of its features. */
export function clipShape(c: ClipConfig) {
  const f = c.features;
  const samples = Math.round((f.sampleRate * c.clipMs) / 1000);
  const { window, hop } = frameSizes(f.sampleRate, f.windowMs, f.hopMs);
  const frames = frameCount(samples, window, hop);
  const dim = f.kind === 'mfcc' ? f.numCeps : f.numMel;
  return { samples, frames, steps: Math.floor(frames / c.poolFrames), dim };
}

/** [steps, dim] features of one clip; samples beyond clipMs are dropped, missing ones are 0. */
export function clipFeatures(samples: ArrayLike<number>, c: ClipConfig = CLIP_DEFAULTS): Float64Array {
  const shape = clipShape(c);
  const padded = new Float64Array(shape.samples);
  const n = Math.min(samples.length, shape.samples);
  for (let i = 0; i < n; i++) padded[i] = samples[i]!;
  const f = computeFeatures(padded, c.features);
  if (c.meanNormalize) subtractMean(f.data, f.frames, f.dim);
  const { steps, dim } = shape;
  const out = new Float64Array(steps * dim);
  const P = c.poolFrames;
  for (let s = 0; s < steps; s++) {
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      for (let p = 0; p < P; p++) sum += f.data[(s * P + p) * dim + d]!;
      out[s * dim + d] = sum / P;
    }
  }
  return out;
}
