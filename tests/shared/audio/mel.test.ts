import { describe, expect, it } from 'vitest';
import { applyMel, hzToMel, melFilterbank, melToHz } from '../../../shared/audio/mel.js';
import { applyDct, dctMatrix } from '../../../shared/audio/mfcc.js';
import { InputError } from '../../../shared/errors.js';

describe('mel filterbank', () => {
  const o = { numFilters: 26, fftSize: 512, sampleRate: 16000, fminHz: 20, fmaxHz: 8000 };
  const fb = melFilterbank(o);

  it('uses the HTK mel scale', () => {
    expect(hzToMel(700)).toBeCloseTo(2595 * Math.log10(2), 10);
    expect(hzToMel(1000)).toBeCloseTo(1000, -1);
    for (const f of [0, 123, 4000, 8000]) expect(melToHz(hzToMel(f))).toBeCloseTo(f, 8);
  });

  it('spaces its centre frequencies evenly in HTK mel', () => {
    const lo = hzToMel(20);
    const step = (hzToMel(8000) - lo) / 27;
    for (let m = 0; m < 26; m++) expect(fb.centersHz[m]).toBeCloseTo(melToHz(lo + (m + 1) * step), 8);
  });

  it('partitions unity between the first and last centre and is zero outside the band', () => {
    for (let k = 0; k < fb.bins; k++) {
      const hz = (k * 16000) / 512;
      let s = 0;
      for (let m = 0; m < 26; m++) s += fb.weights[m * fb.bins + k]!;
      if (hz >= fb.centersHz[0]! && hz <= fb.centersHz[25]!) expect(s).toBeCloseTo(1, 10);
      if (hz <= 20) expect(s).toBe(0);
      expect(s).toBeLessThanOrEqual(1 + 1e-12);
    }
    for (let m = 0; m < 26; m++) expect(fb.end[m]).toBeGreaterThan(fb.start[m]!);
  });

  it('applies sparse weights equal to the dense product, with a log floor', () => {
    const p = Float64Array.from({ length: fb.bins }, (_, k) => 1 + Math.sin(k));
    const out = new Float64Array(26);
    applyMel(fb, p, out);
    for (let m = 0; m < 26; m++) {
      let s = 0;
      for (let k = 0; k < fb.bins; k++) s += fb.weights[m * fb.bins + k]! * p[k]!;
      expect(out[m]).toBeCloseTo(s, 12);
    }
    applyMel(fb, new Float64Array(fb.bins), out, 1e-10);
    expect(out[0]).toBeCloseTo(Math.log(1e-10), 12);
  });

  it('rejects a band above Nyquist', () => {
    expect(() => melFilterbank({ ...o, fmaxHz: 9000 })).toThrow(InputError);
  });
});

describe('DCT-II', () => {
  it('matches the naive orthonormal DCT-II and is orthonormal', () => {
    const M = 26;
    const K = 13;
    const d = dctMatrix(K, M);
    const e = Float64Array.from({ length: M }, (_, m) => Math.cos(m) * 3 + m / 5);
    const out = new Float64Array(K);
    applyDct(d, K, e, out);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += e[m]! * Math.cos((Math.PI * k * (2 * m + 1)) / (2 * M));
      expect(out[k]).toBeCloseTo(s * Math.sqrt((k === 0 ? 1 : 2) / M), 10);
    }
    const full = dctMatrix(M, M);
    for (let a = 0; a < M; a++) {
      for (let b = 0; b < M; b++) {
        let s = 0;
        for (let m = 0; m < M; m++) s += full[a * M + m]! * full[b * M + m]!;
        expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    }
  });
});
