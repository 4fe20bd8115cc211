/**
 * Streaming feature extraction for the device: push samples as they arrive (any chunk size),
 * get every newly completed frame back. Unconsumed samples are kept (frames work on their own
 * samples only), so the frames equal computeFeatures() on the concatenated samples exactly.
 * The buffer holds at most one window plus the largest chunk pushed.
 */

import { type FeatureConfig, FrameFeaturizer } from './features.js';

export class StreamingFeatureExtractor {
  readonly featurizer: FrameFeaturizer;
  /** Samples not yet consumed by a hop: pending[0, length). */
  private pending: Float64Array;
  private length = 0;
  /** Frames emitted so far. */
  framesOut = 0;

  constructor(config: Partial<FeatureConfig> = {}) {
    this.featurizer = new FrameFeaturizer(config);
    this.pending = new Float64Array(4 * this.featurizer.window);
  }

  get dim(): number {
    return this.featurizer.dim;
  }

  /** New frames' features, [k, dim] row-major (k may be 0). */
  push(samples: ArrayLike<number>): Float64Array {
    const f = this.featurizer;
    const need = this.length + samples.length;
    if (need > this.pending.length) {
      const grown = new Float64Array(Math.max(need, 2 * this.pending.length));
      grown.set(this.pending.subarray(0, this.length));
      this.pending = grown;
    }
    for (let i = 0; i < samples.length; i++) this.pending[this.length + i] = samples[i]!;
    this.length = need;
    const k = this.length < f.window ? 0 : 1 + Math.floor((this.length - f.window) / f.hop);
    const out = new Float64Array(k * f.dim);
    for (let t = 0; t < k; t++) f.compute(this.pending, t * f.hop, out, t * f.dim);
    const used = k * f.hop;
    this.pending.copyWithin(0, used, this.length);
    this.length -= used;
    this.framesOut += k;
    return out;
  }

  /** Forget buffered samples (e.g. between utterances). */
  reset(): void {
    this.length = 0;
    this.framesOut = 0;
  }
}
