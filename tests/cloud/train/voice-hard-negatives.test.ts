import { describe, expect, it } from 'vitest';
import { VOICE_CLIP } from '../../../cloud/tasks/voice.js';
import { clipTrack } from '../../../cloud/tasks/voice-metrics.js';
import { keywordReplay, mineHardNegatives } from '../../../cloud/train/voice-hard-negatives.js';
import { clipShape } from '../../../shared/audio/clip.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { Rng } from '../../../shared/numeric/rng.js';

describe('hard-negative mining', () => {
  it('keeps the clips scored most like a keyword, capped, as standardised other rows split by time', () => {
    // an untrained 2-keyword model (classes yes, no, other) listening to 6 s of chirps in noise:
    // its scores are arbitrary but real, and mining must pick from them exactly
    const { steps, dim } = clipShape(VOICE_CLIP);
    const base = initModel({
      library: classicLibrary(),
      inputs: dim,
      hidden: 4,
      outputs: 3,
      seed: 5,
      activation: 'tanh',
    });
    const scaling = {
      mean: Array.from({ length: dim }, (_, d) => 0.1 * d),
      std: Array.from({ length: dim }, (_, d) => 1 + d / 10),
    };
    const model = {
      ...base,
      scaling: {
        inputMean: scaling.mean,
        inputStd: scaling.std,
        outputMean: [0, 0, 0],
        outputStd: [1, 1, 1],
      },
    };
    const rng = new Rng(4);
    const audio = Float32Array.from(
      { length: 6 * 16000 },
      (_, i) => 0.3 * Math.sin(i * (0.05 + i / 4e6)) + 0.05 * rng.normal(),
    );
    const track = clipTrack(model, audio, 100, 256, true);
    const n = track.t.length;
    const keywordPosterior = Array.from({ length: n }, (_, i) => {
      const l = Array.from(track.logits.subarray(i * 3, i * 3 + 3));
      const z = l.reduce((s, v) => s + Math.exp(v), 0);
      return Math.max(Math.exp(l[0]!) / z, Math.exp(l[1]!) / z);
    });
    const sorted = [...keywordPosterior].sort((a, b) => b - a);
    const minPosterior = sorted[Math.floor(n / 2)]!; // about half the clips reach it
    const m = mineHardNegatives(model, audio, scaling, 2, { minPosterior, maxClips: 10, hopMs: 100 });
    expect(m.scored).toBe(n);
    expect(m.found).toBe(keywordPosterior.filter((p) => p >= minPosterior).length);
    expect(m.train.n + m.val.n).toBe(10);
    // every kept clip is one of the ten most keyword-like, labelled other, standardised
    const per = steps * dim;
    const rows = [
      ...Array.from({ length: m.train.n }, (_, r) => [m.train, r] as const),
      ...Array.from({ length: m.val.n }, (_, r) => [m.val, r] as const),
    ];
    const found = rows.map(([set, r]) => {
      expect(Array.from(set.y.subarray(r * 3, r * 3 + 3))).toEqual([0, 0, 1]);
      const x = set.x.subarray(r * per, (r + 1) * per);
      const i = Array.from({ length: n }, (_, k) => k).find((k) =>
        x.every(
          (v, j) =>
            Math.abs(v - (track.features![k * per + j]! - scaling.mean[j % dim]!) / scaling.std[j % dim]!) <
            1e-12,
        ),
      );
      expect(i).toBeDefined();
      return i!;
    });
    expect(found.map((i) => keywordPosterior[i]!).every((p) => p >= sorted[9]!)).toBe(true);
    // validation rows come from the stream's last fifth, training rows from before
    const end = track.t[n - 1]!;
    for (let k = 0; k < m.train.n; k++) expect(track.t[found[k]!]!).toBeLessThanOrEqual(0.8 * end);
    for (let k = m.train.n; k < found.length; k++) expect(track.t[found[k]!]!).toBeGreaterThan(0.8 * end);
    expect([m.train.window, m.train.inputs, m.train.outputs]).toEqual([steps, dim, 3]);
  });

  it('labels clips holding a whole keyword as that keyword, the hardest first, and skips clips that cut one', () => {
    const { dim } = clipShape(VOICE_CLIP);
    const model = initModel({
      library: classicLibrary(),
      inputs: dim,
      hidden: 4,
      outputs: 3,
      seed: 6,
      activation: 'tanh',
    });
    const scaling = { mean: new Array<number>(dim).fill(0), std: new Array<number>(dim).fill(1) };
    const rng = new Rng(7);
    const audio = Float32Array.from(
      { length: 6 * 16000 },
      (_, i) => 0.2 * Math.sin(i * 0.07) + 0.05 * rng.normal(),
    );
    const track = clipTrack(model, audio, 100, 256, true);
    const n = track.t.length;
    // 'no' (class 1) at 2.2–2.5 s, a non-keyword at 4.0–4.3 s
    const events = [
      { start: 2.2, end: 2.5, keyword: 1 },
      { start: 4.0, end: 4.3, keyword: null },
    ];
    const ts = Array.from(track.t);
    const whole = ts.filter((t) => t >= 2.5 - 1e-9 && t - 1 <= 2.2 + 1e-9).length;
    const clear = ts.filter((t) => t <= 2.2 || t - 1 >= 2.5).length;
    const all = mineHardNegatives(
      model,
      audio,
      scaling,
      2,
      { minPosterior: 0, maxClips: 1000, hopMs: 100, positiveBelow: 1.01 },
      events,
    );
    expect(all.scored).toBe(n);
    expect(all.foundPositives).toBe(whole);
    expect(all.positives).toBe(whole);
    expect(all.found).toBe(clear);
    const labels = [all.train, all.val].flatMap((set) =>
      Array.from({ length: set.n }, (_, r) => Array.from(set.y.subarray(r * 3, r * 3 + 3)).indexOf(1)),
    );
    expect(labels.filter((c) => c === 1).length).toBe(whole);
    expect(labels.filter((c) => c === 2).length).toBe(clear);
    expect(labels.filter((c) => c === 0).length).toBe(0);
    // a bar below every score keeps no positive; a cap keeps the lowest-scored ones
    expect(
      mineHardNegatives(
        model,
        audio,
        scaling,
        2,
        { minPosterior: 2, maxClips: 5, hopMs: 100, positiveBelow: 0 },
        events,
      ).positives,
    ).toBe(0);
    const capped = mineHardNegatives(
      model,
      audio,
      scaling,
      2,
      { minPosterior: 2, maxClips: 2, hopMs: 100, positiveBelow: 1.01 },
      events,
    );
    expect(capped.positives).toBe(2);
    expect(capped.train.n + capped.val.n).toBe(2);
  });

  it('replays keyword rows in turn, never an other row, to keep the classes in their shares', () => {
    // 5 rows of [2 steps, 1 input], classes (yes, no, other): rows 0, 2, 4 are keywords
    const labels = [0, 2, 1, 2, 0];
    const set = {
      x: Float64Array.from({ length: 10 }, (_, i) => i),
      y: Float64Array.from({ length: 15 }, (_, i) => (labels[Math.floor(i / 3)] === i % 3 ? 1 : 0)),
      last: new Float64Array(5),
      n: 5,
      window: 2,
      inputs: 1,
      outputs: 3,
    };
    const r = keywordReplay(set, 2, 4, 1);
    expect(r.n).toBe(4);
    expect(Array.from(r.x)).toEqual([4, 5, 8, 9, 0, 1, 4, 5]); // rows 2, 4, 0, 2
    expect(Array.from(r.y)).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0]);
    expect(keywordReplay({ ...set, y: set.y.map((_, i) => (i % 3 === 2 ? 1 : 0)) }, 2, 3, 0).n).toBe(0);
  });
});
