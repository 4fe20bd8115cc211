import { describe, expect, it } from 'vitest';
import {
  CLIP_DEFAULTS,
  clipFeatures,
  clipFromFrames,
  clipShape,
  VOICE_CLIP,
} from '../../../shared/audio/clip.js';
import { ClipAssembler } from '../../../shared/audio/clip-stream.js';
import { computeFeatures } from '../../../shared/audio/features.js';
import { InputError } from '../../../shared/errors.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** A word-like burst (two formant tones under an envelope) in the middle of a second. */
function burst(seed = 1): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(16000);
  for (let i = 4000; i < 11000; i++) {
    const env = Math.sin((Math.PI * (i - 4000)) / 7000);
    x[i] = env * (0.3 * Math.sin(i * 0.09) + 0.2 * Math.sin(i * 0.31) + 0.01 * rng.normal());
  }
  return x;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('level-free voice clip features', () => {
  it('map digital silence to all-zero features', () => {
    const f = clipFeatures(new Float32Array(16000), VOICE_CLIP);
    expect(f.length).toBe(32 * 20);
    expect(f.every((v) => Math.abs(v) < 1e-12)).toBe(true);
    // a constant (a DC offset with nothing else) is silence too
    expect(clipFeatures(new Float32Array(16000).fill(0.2), VOICE_CLIP).every((v) => Math.abs(v) < 1e-9)).toBe(
      true,
    );
  });

  it('do not change with the gain, ±20 dB and more', () => {
    const x = burst();
    const ref = clipFeatures(x, VOICE_CLIP);
    for (const g of [0.01, 0.1, 3]) {
      expect(
        maxDiff(
          clipFeatures(
            x.map((v) => v * g),
            VOICE_CLIP,
          ),
          ref,
        ),
      ).toBeLessThan(1e-6);
    }
    // without the floor, silence around the word sits at log(1e-10): a quieter copy moves it
    const raw = { ...VOICE_CLIP, dynamicRangeDb: null };
    expect(
      maxDiff(
        clipFeatures(
          x.map((v) => v * 0.01),
          raw,
        ),
        clipFeatures(x, raw),
      ),
    ).toBeGreaterThan(1);
  });

  it('do not change with a DC offset', () => {
    const x = burst();
    expect(
      maxDiff(
        clipFeatures(
          x.map((v) => v + 0.05),
          VOICE_CLIP,
        ),
        clipFeatures(x, VOICE_CLIP),
      ),
    ).toBeLessThan(1e-6);
  });

  it('keep the word in digital silence close to the word in light noise', () => {
    const x = burst();
    const rng = new Rng(9);
    const noisy = x.map((v) => v + 1e-4 * rng.normal());
    const silent = clipFeatures(x, VOICE_CLIP);
    const d = maxDiff(clipFeatures(noisy, VOICE_CLIP), silent);
    const span = Math.max(...silent) - Math.min(...silent);
    expect(d / span).toBeLessThan(0.25);
  });

  it('refuse a dynamic range on MFCC features', () => {
    expect(() => clipShape({ ...CLIP_DEFAULTS, dynamicRangeDb: 40 })).toThrow(InputError);
    expect(() => clipShape({ ...CLIP_DEFAULTS, dynamicRangeDb: 40 })).toThrow(/log-mel/);
  });

  it('are the same from the stream at any clip position as from the frames of the whole audio', () => {
    const a = burst(2);
    const audio = new Float32Array(40000);
    audio.set(a, 3000);
    audio.set(a, 21000);
    const asm = new ClipAssembler({ clip: VOICE_CLIP, hopMs: 100 });
    const got: Float64Array[] = [];
    for (let at = 0; at < audio.length; at += 1234) {
      for (const c of asm.push(audio.subarray(at, at + 1234))) got.push(c.features.slice());
    }
    const all = computeFeatures(audio, VOICE_CLIP.features);
    const { frames, steps, dim } = clipShape(VOICE_CLIP);
    expect(got.length).toBe(Math.floor((all.frames - frames) / 10) + 1);
    for (const k of [0, 7, got.length - 1]) {
      const window = all.data.slice(k * 10 * dim, (k * 10 + frames) * dim);
      const ref = clipFromFrames(
        window,
        frames,
        0,
        VOICE_CLIP,
        new Float64Array(dim),
        new Float64Array(steps * dim),
      );
      expect(maxDiff(got[k]!, ref)).toBeLessThan(1e-9);
    }
  });
});
