/**
 * Sliding clips of streaming audio features for a keyword classifier: samples at the feature
 * rate go through the StreamingFeatureExtractor, the last clipMs of frames are kept in a ring,
 * and every hopMs a clip is made exactly as clip.ts makes one (the same clipFromFrames: floor,
 * mean removal, pooling). The first clip of an audio that starts at its first sample equals
 * clipFeatures() of that audio; audio shorter than one clip is padded with silence, as
 * clipFeatures() pads it. Memory is fixed at construction: an endless stream (or minutes of
 * silence) never grows it.
 */
import { type ClipConfig, clipFromFrames, clipShape, VOICE_CLIP } from './clip.js';
import { frameSizes } from './frames.js';
import { StreamingFeatureExtractor } from './streaming.js';

/** One window of audio features for a clip classifier; `features` is reused between clips. */
/**
 * Time between the clips a device scores (`liquidkan device --clip-hop-ms`). Detector settings
 * (smoothing counts clips) are chosen in the cloud at this hop, and mining listens at it too.
 */
export const DEVICE_CLIP_HOP_MS = 100;

export interface Clip {
  /** 0, 1, 2, … */
  readonly index: number;
  /** [steps, dim] row-major. */
  readonly features: Float64Array;
  /** Seconds from the start of the audio to the end of this clip's window. */
  readonly tEnd: number;
}

export interface ClipStreamOptions {
  /** @defaultValue VOICE_CLIP */
  readonly clip?: ClipConfig;
  /** Time between clip starts. @defaultValue DEVICE_CLIP_HOP_MS */
  readonly hopMs?: number;
}

export class ClipAssembler {
  readonly clip: ClipConfig;
  readonly steps: number;
  readonly dim: number;
  private readonly extractor: StreamingFeatureExtractor;
  private readonly clipFrames: number;
  private readonly clipSamples: number;
  private readonly hopFrames: number;
  private readonly frameHop: number;
  /** The last clipFrames frames, [clipFrames, dim], slot = frame index mod clipFrames. */
  private readonly ring: Float64Array;
  private readonly mean: Float64Array;
  private readonly out: Float64Array;
  private frames = 0;
  private samplesIn = 0;
  private emitted = 0;

  constructor(o: ClipStreamOptions = {}) {
    this.clip = o.clip ?? VOICE_CLIP;
    const shape = clipShape(this.clip);
    this.steps = shape.steps;
    this.dim = shape.dim;
    this.clipFrames = shape.frames;
    this.clipSamples = shape.samples;
    this.frameHop = frameSizes(
      this.clip.features.sampleRate,
      this.clip.features.windowMs,
      this.clip.features.hopMs,
    ).hop;
    this.hopFrames = Math.max(1, Math.round((o.hopMs ?? DEVICE_CLIP_HOP_MS) / this.clip.features.hopMs));
    this.extractor = new StreamingFeatureExtractor(this.clip.features);
    this.ring = new Float64Array(this.clipFrames * this.dim);
    this.mean = new Float64Array(this.dim);
    this.out = new Float64Array(this.steps * this.dim);
  }

  /** Samples at clip.features.sampleRate → the clips completed by them (features reused). */
  *push(samples: ArrayLike<number>): Iterable<Clip> {
    this.samplesIn += samples.length;
    const f = this.extractor.push(samples);
    const D = this.dim;
    for (let k = 0; k < f.length / D; k++) {
      this.ring.set(f.subarray(k * D, (k + 1) * D), (this.frames % this.clipFrames) * D);
      this.frames++;
      const first = this.frames - this.clipFrames;
      if (first >= 0 && first % this.hopFrames === 0) yield this.make(first);
    }
  }

  /** At the end of the audio: pads a too-short audio with silence to make its one clip. */
  *finish(): Iterable<Clip> {
    if (this.emitted > 0 || this.samplesIn === 0) return;
    yield* this.push(new Float64Array(Math.max(0, this.clipSamples - this.samplesIn)));
  }

  private make(first: number): Clip {
    clipFromFrames(this.ring, this.clipFrames, first % this.clipFrames, this.clip, this.mean, this.out);
    const rate = this.clip.features.sampleRate;
    return {
      index: this.emitted++,
      features: this.out,
      tEnd: (first * this.frameHop + this.clipSamples) / rate,
    };
  }
}
