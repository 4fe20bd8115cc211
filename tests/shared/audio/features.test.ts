import { describe, expect, it } from 'vitest';
import { computeFeatures, subtractMean } from '../../../shared/audio/features.js';
import { frameCount, hannWindow, preEmphasize } from '../../../shared/audio/frames.js';
import { resample } from '../../../shared/audio/resample.js';
import { StreamingFeatureExtractor } from '../../../shared/audio/streaming.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** A chirp-like test signal with some noise, [n] at 16 kHz. */
function signal(n: number, seed = 3) {
  const rng = new Rng(seed);
  return Float64Array.from(
    { length: n },
    (_, i) => 0.5 * Math.sin(2 * Math.PI * (300 + i / 40) * (i / 16000)) + 0.05 * rng.normal(),
  );
}

describe('framing', () => {
  it('pre-emphasises, counts whole frames and tapers with a symmetric Hann window', () => {
    expect(Array.from(preEmphasize([1, 2, 3], 0.5))).toEqual([1, 1.5, 2]);
    expect(Array.from(preEmphasize([1, 2, 3], 0.5, 4))).toEqual([-1, 1.5, 2]);
    expect(frameCount(16000, 400, 160)).toBe(98);
    expect(frameCount(399, 400, 160)).toBe(0);
    const w = hannWindow(5);
    expect(Array.from(w)).toEqual([0, 0.5, 1, 0.5, 0].map((v) => expect.closeTo(v, 12)));
  });
});

describe('MFCC features', () => {
  it('gives [98, 13] for one second and is deterministic', () => {
    const x = signal(16000);
    const a = computeFeatures(x);
    const b = computeFeatures(x);
    expect([a.frames, a.dim]).toEqual([98, 13]);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    for (const v of a.data) expect(Number.isFinite(v)).toBe(true);
    // a louder copy only moves c0 (the log energy) by the same amount in every frame
    const loud = computeFeatures(x.map((v) => v * 2));
    const dc = Math.sqrt(26) * Math.log(4);
    for (let t = 0; t < 98; t++) {
      expect(loud.data[t * 13]! - a.data[t * 13]!).toBeCloseTo(dc, 6);
      expect(loud.data[t * 13 + 5]!).toBeCloseTo(a.data[t * 13 + 5]!, 6);
    }
  });

  it('gives log-mel energies that peak at the filter holding a pure tone', () => {
    const x = Float64Array.from({ length: 4000 }, (_, i) => Math.sin((2 * Math.PI * 1000 * i) / 16000));
    const f = computeFeatures(x, { kind: 'logmel', numMel: 20, preEmphasis: 0 });
    expect(f.dim).toBe(20);
    const row = Array.from(f.data.subarray(5 * 20, 6 * 20));
    const peak = row.indexOf(Math.max(...row));
    // 1 kHz is about 1000 mel; with 20 filters over 20–8000 Hz the spacing is ~135 mel
    expect(peak).toBeGreaterThanOrEqual(6);
    expect(peak).toBeLessThanOrEqual(7);
  });

  it('mean-normalises each coefficient over the utterance', () => {
    const f = computeFeatures(signal(8000));
    subtractMean(f.data, f.frames, f.dim);
    for (let d = 0; d < f.dim; d++) {
      let s = 0;
      for (let t = 0; t < f.frames; t++) s += f.data[t * f.dim + d]!;
      expect(s / f.frames).toBeCloseTo(0, 10);
    }
  });

  it('streams the same frames as the batch extractor, whatever the chunk sizes', () => {
    const x = signal(12345, 9);
    const batch = computeFeatures(x);
    for (const chunk of [1, 37, 160, 1000, 20000]) {
      const s = new StreamingFeatureExtractor();
      const parts: number[] = [];
      for (let i = 0; i < x.length; i += chunk) parts.push(...s.push(x.subarray(i, i + chunk)));
      expect(s.framesOut).toBe(batch.frames);
      expect(parts).toEqual(Array.from(batch.data));
    }
  });
});

describe('resampling', () => {
  it('converts a 1 kHz tone from 22 050 Hz to 16 kHz and removes content above 8 kHz', () => {
    const tone = (f: number, sr: number, n: number) =>
      Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * f * i) / sr));
    const y = resample(tone(1000, 22050, 22050), 22050, 16000);
    expect(y.length).toBe(16000);
    const want = tone(1000, 16000, 16000);
    for (let i = 200; i < 15800; i++) expect(Math.abs(y[i]! - want[i]!)).toBeLessThan(5e-3);
    const high = resample(tone(10000, 22050, 22050), 22050, 16000);
    let rms = 0;
    for (let i = 200; i < 15800; i++) rms += high[i]! ** 2;
    expect(Math.sqrt(rms / 15600)).toBeLessThan(0.02);
    expect(Array.from(resample([1, 2], 8000, 8000))).toEqual([1, 2]);
  });

  it('tabulates the same windowed-sinc kernel it documents', () => {
    const x = signal(3000, 4);
    const y = resample(x, 22050, 16000);
    const fc = 16000 / 22050;
    const R = 16 / fc;
    for (const i of [0, 1, 7, 1000, 2175]) {
      const t = (i * 22050) / 16000;
      let s = 0;
      for (let j = 0; j < x.length; j++) {
        const d = t - j;
        if (Math.abs(d) >= R) continue;
        const a = Math.PI * fc * d;
        s += x[j]! * fc * (a === 0 ? 1 : Math.sin(a) / a) * (0.5 + 0.5 * Math.cos((Math.PI * d) / R));
      }
      expect(y[i]).toBeCloseTo(s, 5);
    }
    // a non-integer rate takes the direct path and agrees with the tabulated one
    const z = resample(x, 22050.000001, 16000);
    for (const i of [10, 500, 2000]) expect(z[i]).toBeCloseTo(y[i]!, 3);
  });
});
