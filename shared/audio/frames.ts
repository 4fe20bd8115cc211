/**
 * Framing a signal for short-time analysis: pre-emphasis y[i] = x[i] − α·x[i−1] (lifts the high
 * formants that speech rolls off at about 6 dB/octave; the features apply it inside each frame), frames of `window` samples every `hop`
 * samples (only whole frames; a tail shorter than a window is dropped), and a Hann taper.
 */

/**
 * Pre-emphasis of x into out (same length; may be x itself). `prev` is the sample before x[0]:
 * 0 for a whole utterance, the previous chunk's last sample for a stream.
 */
export function preEmphasize(
  x: ArrayLike<number>,
  coeff: number,
  prev = 0,
  out: Float64Array = new Float64Array(x.length),
): Float64Array {
  let last = prev;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v - coeff * last;
    last = v;
  }
  return out;
}

/**
 * The symmetric Hann window w[i] = 0.5 − 0.5·cos(2πi / (n − 1)), [n] (as Kaldi and
 * numpy.hanning use; both ends are zero).
 */
export function hannWindow(n: number): Float64Array {
  const w = new Float64Array(n);
  if (n === 1) w[0] = 1;
  for (let i = 0; i < n && n > 1; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
  return w;
}

/** How many whole frames of `window` samples, `hop` apart, fit in `samples` samples. */
export function frameCount(samples: number, window: number, hop: number): number {
  return samples < window ? 0 : 1 + Math.floor((samples - window) / hop);
}

/** Window and hop in samples for a rate and durations in milliseconds (rounded). */
export function frameSizes(sampleRate: number, windowMs: number, hopMs: number) {
  return {
    window: Math.round((sampleRate * windowMs) / 1000),
    hop: Math.round((sampleRate * hopMs) / 1000),
  };
}
