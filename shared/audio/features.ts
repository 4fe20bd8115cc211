/**
 * Frame-level features for keyword spotting: 25 ms frames every 10 ms → (optionally the frame's
 * DC removed) → pre-emphasis within the frame → Hann taper → power spectrum (real FFT) → mel
 * filterbank → log → optionally MFCC (DCT-II). Every step works inside one frame (as Kaldi
 * does), so a frame's features depend on its own samples only: the batch function and the
 * streaming extractor share one FrameFeaturizer and give identical numbers, and a constant
 * offset leaves no trace even in the first frame of a stream.
 *
 * Shapes: samples [n] at sampleRate → features [frames, dim], row-major, with
 * frames = 1 + floor((n − window) / hop) and dim = numCeps (mfcc) or numMel (logmel).
 */
import { InputError } from '../errors.js';
import { RealFft } from './fft.js';
import { frameCount, frameSizes, hannWindow } from './frames.js';
import { applyMel, type MelFilterbank, melFilterbank } from './mel.js';
import { applyDct, dctMatrix } from './mfcc.js';

export type FeatureKind = 'mfcc' | 'logmel';

export interface FeatureConfig {
  /** Rate the samples must have; resample first. @defaultValue 16000 */
  readonly sampleRate: number;
  /** @defaultValue 25 */
  readonly windowMs: number;
  /** @defaultValue 10 */
  readonly hopMs: number;
  /** Power of two ≥ the window in samples. @defaultValue 512 */
  readonly fftSize: number;
  /** Pre-emphasis α; 0 turns it off. @defaultValue 0.97 */
  readonly preEmphasis: number;
  /** @defaultValue 26 */
  readonly numMel: number;
  /** @defaultValue 20 */
  readonly fminHz: number;
  /** @defaultValue 8000 */
  readonly fmaxHz: number;
  /** @defaultValue 'mfcc' */
  readonly kind: FeatureKind;
  /** MFCC coefficients kept (mfcc only). @defaultValue 13 */
  readonly numCeps: number;
  /** Energies below this are clamped before the log (silence would be −∞). @defaultValue 1e-10 */
  readonly logFloor: number;
  /**
   * Subtract each frame's mean before the taper, so a DC offset (a cheap microphone, a biased
   * ADC) leaves no energy in the lowest mel bands. @defaultValue false
   */
  readonly removeDc: boolean;
}

export const FEATURE_DEFAULTS: Readonly<FeatureConfig> = Object.freeze({
  sampleRate: 16000,
  windowMs: 25,
  hopMs: 10,
  fftSize: 512,
  preEmphasis: 0.97,
  numMel: 26,
  fminHz: 20,
  fmaxHz: 8000,
  kind: 'mfcc',
  numCeps: 13,
  logFloor: 1e-10,
  removeDc: false,
});

/** Per-frame feature computation with all buffers made once. */
export class FrameFeaturizer {
  readonly config: FeatureConfig;
  /** Samples per frame and between frame starts. */
  readonly window: number;
  readonly hop: number;
  /** Features per frame. */
  readonly dim: number;
  private readonly fft: RealFft;
  private readonly taper: Float64Array;
  private readonly mel: MelFilterbank;
  private readonly dct: Float64Array | null;
  private readonly frame: Float64Array;
  private readonly power: Float64Array;
  private readonly logMel: Float64Array;

  constructor(config: Partial<FeatureConfig> = {}) {
    const c: FeatureConfig = { ...FEATURE_DEFAULTS, ...config };
    this.config = c;
    const { window, hop } = frameSizes(c.sampleRate, c.windowMs, c.hopMs);
    if (window < 2 || hop < 1)
      throw new InputError(`feature frames of ${c.windowMs} ms / ${c.hopMs} ms are too short`);
    if (window > c.fftSize) {
      throw new InputError(
        `fftSize ${c.fftSize} is shorter than the ${window}-sample window; use ≥ ${window}`,
      );
    }
    this.window = window;
    this.hop = hop;
    this.fft = new RealFft(c.fftSize);
    this.taper = hannWindow(window);
    this.mel = melFilterbank({
      numFilters: c.numMel,
      fftSize: c.fftSize,
      sampleRate: c.sampleRate,
      fminHz: c.fminHz,
      fmaxHz: c.fmaxHz,
    });
    this.dct = c.kind === 'mfcc' ? dctMatrix(c.numCeps, c.numMel) : null;
    this.dim = c.kind === 'mfcc' ? c.numCeps : c.numMel;
    this.frame = new Float64Array(window);
    this.power = new Float64Array(this.fft.bins);
    this.logMel = new Float64Array(c.numMel);
  }

  /** Features of the samples x[offset, offset + window) into out[outOffset, +dim). */
  compute(x: ArrayLike<number>, offset: number, out: Float64Array, outOffset: number): void {
    const W = this.window;
    const frame = this.frame;
    let dc = 0;
    if (this.config.removeDc) {
      for (let i = 0; i < W; i++) dc += x[offset + i]!;
      dc /= W;
    }
    for (let i = 0; i < W; i++) frame[i] = x[offset + i]! - dc;
    // pre-emphasis y[i] = x[i] − α·x[i−1] inside the frame, backwards so x[i−1] is still unchanged;
    // the first sample uses itself as its predecessor
    const a = this.config.preEmphasis;
    for (let i = W - 1; i > 0; i--) frame[i] = frame[i]! - a * frame[i - 1]!;
    frame[0] = frame[0]! * (1 - a);
    for (let i = 0; i < W; i++) frame[i] = frame[i]! * this.taper[i]!;
    this.fft.power(this.frame, this.power);
    applyMel(this.mel, this.power, this.logMel, this.config.logFloor);
    if (this.dct) applyDct(this.dct, this.dim, this.logMel, out, outOffset);
    else out.set(this.logMel, outOffset);
  }
}

export interface Features {
  /** [frames, dim] row-major. */
  readonly data: Float64Array;
  readonly frames: number;
  readonly dim: number;
}

/** Features of a whole utterance (samples at config.sampleRate). */
export function computeFeatures(samples: ArrayLike<number>, config: Partial<FeatureConfig> = {}): Features {
  const f = new FrameFeaturizer(config);
  const frames = frameCount(samples.length, f.window, f.hop);
  const data = new Float64Array(frames * f.dim);
  for (let t = 0; t < frames; t++) f.compute(samples, t * f.hop, data, t * f.dim);
  return { data, frames, dim: f.dim };
}

/** Per-utterance mean normalisation (CMN): subtract each feature's mean over frames, in place. */
export function subtractMean(data: Float64Array, frames: number, dim: number): Float64Array {
  if (frames === 0) return data;
  for (let d = 0; d < dim; d++) {
    let s = 0;
    for (let t = 0; t < frames; t++) s += data[t * dim + d]!;
    const m = s / frames;
    for (let t = 0; t < frames; t++) data[t * dim + d] = data[t * dim + d]! - m;
  }
  return data;
}
