/**
 * Sample-rate conversion by windowed-sinc interpolation (band-limited: espeak-ng renders at
 * 22 050 Hz and the features want 16 kHz, so content above 8 kHz must be removed, not folded
 * back as linear interpolation would do).
 *
 * Output sample i sits at input position t = i·from/to and is
 *   y[i] = Σ_j x[j]·fc·sinc(fc·(t − j))·hann((t − j) / R),  |t − j| < R = zeros / fc,
 * where fc = min(1, to/from) is the cut-off as a fraction of the input Nyquist frequency and
 * `zeros` the number of sinc zero crossings kept on each side. Samples outside x count as 0.
 */
import { InputError } from '../errors.js';

export interface ResampleOptions {
  /** Sinc zero crossings per side (filter quality vs cost). @defaultValue 16 */
  readonly zeros?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The kernel value at distance d (input samples) from the output position. */
function kernel(d: number, fc: number, R: number): number {
  if (Math.abs(d) >= R) return 0;
  const a = Math.PI * fc * d;
  const sinc = a === 0 ? 1 : Math.sin(a) / a;
  return fc * sinc * (0.5 + 0.5 * Math.cos((Math.PI * d) / R));
}

/**
 * x [n] at fromHz → [floor(n·toHz/fromHz)] at toHz. Returns a copy when the rates match.
 * For integer rates the kernel is tabulated once per phase (to / gcd(from, to) phases, 320 for
 * 22 050 → 16 000 Hz), so the cost per output sample is one dot product.
 */
export function resample(
  x: ArrayLike<number>,
  fromHz: number,
  toHz: number,
  opts: ResampleOptions = {},
): Float32Array {
  if (!(fromHz > 0 && toHz > 0))
    throw new InputError(`sample rates must be positive, got ${fromHz} → ${toHz} Hz`);
  if (fromHz === toHz) return Float32Array.from(x);
  const zeros = opts.zeros ?? 16;
  const fc = Math.min(1, toHz / fromHz);
  const R = zeros / fc;
  const n = x.length;
  const outLen = Math.floor((n * toHz) / fromHz);
  const out = new Float32Array(outLen);
  const K = Math.ceil(R);
  const taps = 2 * K + 1;
  const g = Number.isInteger(fromHz) && Number.isInteger(toHz) ? gcd(fromHz, toHz) : 0;
  const phases = g ? toHz / g : 0;
  if (phases > 0 && phases <= 4096) {
    // output i sits at input base + p/phases with base = floor(i·from/to), p = (i·from mod to)/g
    const table = new Float64Array(phases * taps);
    for (let p = 0; p < phases; p++) {
      for (let k = -K; k <= K; k++) table[p * taps + k + K] = kernel(p / phases - k, fc, R);
    }
    const step = fromHz / g;
    for (let i = 0; i < outLen; i++) {
      const num = i * step;
      const base = Math.floor(num / phases);
      const row = (num - base * phases) * taps;
      let s = 0;
      const k0 = Math.max(-K, -base);
      const k1 = Math.min(K, n - 1 - base);
      for (let k = k0; k <= k1; k++) s += x[base + k]! * table[row + k + K]!;
      out[i] = s;
    }
    return out;
  }
  const ratio = fromHz / toHz;
  for (let i = 0; i < outLen; i++) {
    const t = i * ratio;
    const j0 = Math.max(0, Math.ceil(t - R));
    const j1 = Math.min(n - 1, Math.floor(t + R));
    let s = 0;
    for (let j = j0; j <= j1; j++) s += x[j]! * kernel(t - j, fc, R);
    out[i] = s;
  }
  return out;
}
