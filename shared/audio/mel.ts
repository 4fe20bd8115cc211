/**
 * Mel filterbank with HTK's mel scale, mel(f) = 2595·log10(1 + f/700). The M filters are
 * triangles whose M + 2 edges are equally spaced in mel between fminHz and fmaxHz; filter m
 * rises from edge m to 1 at edge m + 1 (its centre) and falls to 0 at edge m + 2, linearly in
 * mel (as HTK and Kaldi do). Between the first and the last centre the weights of adjacent
 * filters therefore sum to exactly 1 at every FFT bin.
 */
import { InputError } from '../errors.js';

export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

export interface MelOptions {
  /** Number of triangular filters M. */
  readonly numFilters: number;
  /** FFT length N; the filterbank covers its N/2 + 1 bins. */
  readonly fftSize: number;
  readonly sampleRate: number;
  readonly fminHz: number;
  /** At most sampleRate / 2. */
  readonly fmaxHz: number;
}

export interface MelFilterbank {
  readonly numFilters: number;
  readonly bins: number;
  /** Dense weights [numFilters, bins]. */
  readonly weights: Float64Array;
  /** Centre frequency of each filter in Hz, [numFilters]. */
  readonly centersHz: Float64Array;
  /** Per filter, the first and one-past-last bin with a non-zero weight (for a sparse apply). */
  readonly start: Int32Array;
  readonly end: Int32Array;
}

export function melFilterbank(o: MelOptions): MelFilterbank {
  const { numFilters: M, fftSize: N, sampleRate: sr, fminHz, fmaxHz } = o;
  if (!Number.isInteger(M) || M < 1) throw new InputError(`mel numFilters must be ≥ 1, got ${M}`);
  if (!(fminHz >= 0 && fmaxHz > fminHz && fmaxHz <= sr / 2 + 1e-9)) {
    throw new InputError(`mel band must satisfy 0 ≤ fminHz < fmaxHz ≤ ${sr / 2}, got ${fminHz}–${fmaxHz} Hz`);
  }
  const bins = N / 2 + 1;
  const lo = hzToMel(fminHz);
  const hi = hzToMel(fmaxHz);
  const edges = Float64Array.from({ length: M + 2 }, (_, i) => lo + ((hi - lo) * i) / (M + 1));
  const weights = new Float64Array(M * bins);
  const start = new Int32Array(M).fill(bins);
  const end = new Int32Array(M);
  for (let k = 0; k < bins; k++) {
    const mel = hzToMel((k * sr) / N);
    for (let m = 0; m < M; m++) {
      const l = edges[m]!;
      const c = edges[m + 1]!;
      const r = edges[m + 2]!;
      let w = 0;
      if (mel > l && mel <= c) w = (mel - l) / (c - l);
      else if (mel > c && mel < r) w = (r - mel) / (r - c);
      if (w > 0) {
        weights[m * bins + k] = w;
        if (k < start[m]!) start[m] = k;
        end[m] = k + 1;
      }
    }
  }
  for (let m = 0; m < M; m++) if (start[m]! >= end[m]!) start[m] = end[m] = 0;
  const centersHz = Float64Array.from({ length: M }, (_, m) => melToHz(edges[m + 1]!));
  return { numFilters: M, bins, weights, centersHz, start, end };
}

/**
 * Filter energies of a power spectrum [bins] into out [numFilters]: out[m] = Σ_k W[m,k]·p[k].
 * With `logFloor` > 0, out[m] = ln(max(energy, logFloor)) (log-mel).
 */
export function applyMel(fb: MelFilterbank, power: Float64Array, out: Float64Array, logFloor = 0): void {
  for (let m = 0; m < fb.numFilters; m++) {
    let s = 0;
    const row = m * fb.bins;
    for (let k = fb.start[m]!; k < fb.end[m]!; k++) s += fb.weights[row + k]! * power[k]!;
    out[m] = logFloor > 0 ? Math.log(Math.max(s, logFloor)) : s;
  }
}
