import { describe, expect, it } from 'vitest';
import { RealFft } from '../../../shared/audio/fft.js';
import { InputError } from '../../../shared/errors.js';
import { Rng } from '../../../shared/numeric/rng.js';

function naiveDft(x: Float64Array) {
  const N = x.length;
  const re = new Float64Array(N / 2 + 1);
  const im = new Float64Array(N / 2 + 1);
  for (let k = 0; k <= N / 2; k++) {
    for (let n = 0; n < N; n++) {
      re[k] += x[n]! * Math.cos((2 * Math.PI * k * n) / N);
      im[k] -= x[n]! * Math.sin((2 * Math.PI * k * n) / N);
    }
  }
  return { re, im };
}

describe('real FFT', () => {
  it('matches a naive DFT for every size from 2 to 512', () => {
    const rng = new Rng(1);
    for (let N = 2; N <= 512; N *= 2) {
      const x = rng.fillNormal(new Float64Array(N));
      const fft = new RealFft(N);
      const re = new Float64Array(fft.bins);
      const im = new Float64Array(fft.bins);
      fft.forward(x, re, im);
      const ref = naiveDft(x);
      for (let k = 0; k < fft.bins; k++) {
        expect(re[k]).toBeCloseTo(ref.re[k]!, 9);
        expect(im[k]).toBeCloseTo(ref.im[k]!, 9);
      }
    }
  });

  it('zero-pads a short input and puts a pure tone in its bin', () => {
    const N = 512;
    const sr = 16000;
    const fft = new RealFft(N);
    const bin = 40; // 1250 Hz
    const x = Float64Array.from({ length: 400 }, (_, i) => Math.sin((2 * Math.PI * bin * sr * i) / N / sr));
    const p = new Float64Array(fft.bins);
    fft.power(x, p);
    let arg = 0;
    for (let k = 1; k < fft.bins; k++) if (p[k]! > p[arg]!) arg = k;
    expect(arg).toBe(bin);
    // the same result on repeated calls (scratch buffers are reset)
    const q = new Float64Array(fft.bins);
    fft.power(x, q);
    expect(Array.from(q)).toEqual(Array.from(p));
  });

  it('refuses a length that is not a power of two', () => {
    expect(() => new RealFft(400)).toThrow(InputError);
    expect(() => new RealFft(400)).toThrow(/power of two/);
  });
});
