/**
 * Streaming feature extraction for the device: push samples as they arrive (any chunk size),
 * get every newly completed frame back. Pre-emphasis carries the last sample across chunks
 * and unconsumed samples are kept, so the frames equal computeFeatures() on the concatenated
 * samples exactly.
 */

import { type FeatureConfig, FrameFeaturizer } from './features.js';
import { preEmphasize } from './frames.js';

export class StreamingFeatureExtractor {
  readonly featurizer: FrameFeaturizer;
  /** Pre-emphasised samples not yet consumed by a hop: pending[0, length). */
  private pending: Float64Array;
  private length = 0;
  private prev = 0;
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
    const tail = this.pending.subarray(this.length, need);
    preEmphasize(samples, f.config.preEmphasis, this.prev, tail);
    if (samples.length > 0) this.prev = samples[samples.length - 1]!;
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
    this.prev = 0;
    this.framesOut = 0;
  }
}
