/**
 * Radix-2 FFT of a real signal of N = 2^k samples, computed as one complex FFT of N/2 points
 * (even samples as the real part, odd samples as the imaginary part) followed by the usual
 * split step:
 *
 *   Z = FFT_{N/2}(x[2m] + i·x[2m+1]),  E[k] = (Z[k] + conj Z[N/2−k]) / 2,
 *   O[k] = (Z[k] − conj Z[N/2−k]) / 2i,  X[k] = E[k] + e^{−2πik/N} O[k],  k = 0 … N/2.
 *
 * Twiddles, the bit-reversal permutation and the scratch buffers are made once in the
 * constructor, so a transform allocates nothing (the per-frame loop of a feature extractor
 * runs thousands of them). X[k] = Σ_n x[n] e^{−2πikn/N}, unscaled.
 */
import { InputError } from '../errors.js';

export class RealFft {
  /** N, the transform length. */
  readonly size: number;
  /** N/2 + 1, the number of non-redundant output bins. */
  readonly bins: number;
  private readonly half: number;
  private readonly rev: Uint32Array;
  /** e^{−2πij/(N/2)} for j < N/4: the complex FFT's twiddles. */
  private readonly cosH: Float64Array;
  private readonly sinH: Float64Array;
  /** e^{−2πik/N} for k ≤ N/2: the split step's twiddles. */
  private readonly cosN: Float64Array;
  private readonly sinN: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly powRe: Float64Array;
  private readonly powIm: Float64Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) {
      throw new InputError(`FFT size must be a power of two ≥ 2, got ${size}`);
    }
    this.size = size;
    const h = size / 2;
    this.half = h;
    this.bins = h + 1;
    const bitsH = Math.log2(h);
    this.rev = new Uint32Array(h);
    for (let i = 0; i < h; i++) {
      let r = 0;
      for (let b = 0; b < bitsH; b++) r |= ((i >> b) & 1) << (bitsH - 1 - b);
      this.rev[i] = r;
    }
    this.cosH = new Float64Array(Math.max(1, h / 2));
    this.sinH = new Float64Array(Math.max(1, h / 2));
    for (let j = 0; j < h / 2; j++) {
      this.cosH[j] = Math.cos((2 * Math.PI * j) / h);
      this.sinH[j] = -Math.sin((2 * Math.PI * j) / h);
    }
    this.cosN = new Float64Array(h + 1);
    this.sinN = new Float64Array(h + 1);
    for (let k = 0; k <= h; k++) {
      this.cosN[k] = Math.cos((2 * Math.PI * k) / size);
      this.sinN[k] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.re = new Float64Array(h);
    this.im = new Float64Array(h);
    this.powRe = new Float64Array(h + 1);
    this.powIm = new Float64Array(h + 1);
  }

  /**
   * Spectrum of `input` (length ≤ N, zero-padded to N; read from `offset`) into
   * outRe, outIm [N/2 + 1].
   */
  forward(input: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array, offset = 0, length = -1): void {
    const n = length < 0 ? Math.min(this.size, input.length - offset) : Math.min(this.size, length);
    const { half: h, re, im, rev } = this;
    for (let m = 0; m < h; m++) {
      const r = rev[m]!;
      const a = 2 * m;
      re[r] = a < n ? input[offset + a]! : 0;
      im[r] = a + 1 < n ? input[offset + a + 1]! : 0;
    }
    for (let size = 2; size <= h; size *= 2) {
      const hs = size / 2;
      const step = h / size;
      for (let i = 0; i < h; i += size) {
        for (let j = 0; j < hs; j++) {
          const wr = this.cosH[j * step]!;
          const wi = this.sinH[j * step]!;
          const p = i + j;
          const q = p + hs;
          const tr = wr * re[q]! - wi * im[q]!;
          const ti = wr * im[q]! + wi * re[q]!;
          re[q] = re[p]! - tr;
          im[q] = im[p]! - ti;
          re[p] = re[p]! + tr;
          im[p] = im[p]! + ti;
        }
      }
    }
    for (let k = 0; k <= h; k++) {
      const a = k % h;
      const b = (h - k) % h;
      const ar = re[a]!;
      const ai = im[a]!;
      const br = re[b]!;
      const bi = im[b]!;
      const er = (ar + br) / 2;
      const ei = (ai - bi) / 2;
      const or = (ai + bi) / 2;
      const oi = -(ar - br) / 2;
      const c = this.cosN[k]!;
      const s = this.sinN[k]!;
      outRe[k] = er + c * or - s * oi;
      outIm[k] = ei + c * oi + s * or;
    }
  }

  /** |X[k]|² into out [N/2 + 1]; uses internal scratch for the complex spectrum. */
  power(input: ArrayLike<number>, out: Float64Array, offset = 0, length = -1): void {
    const { powRe: re, powIm: im } = this;
    this.forward(input, re, im, offset, length);
    for (let k = 0; k < this.bins; k++) out[k] = re[k]! * re[k]! + im[k]! * im[k]!;
  }
}
