import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  OTHER_CLASS,
  renderWordFeatures,
  VOICE_CLIP,
  VOICE_DEFAULTS,
  voiceDataset,
} from '../../../cloud/tasks/voice.js';
import { activeRange, mixWord, partialWord } from '../../../cloud/tasks/voice-mix.js';
import { accentPronunciations } from '../../../cloud/tasks/voice-pronunciations.js';
import { renderSpeech, speechAudio } from '../../../cloud/tasks/voice-render.js';
import { clipShape } from '../../../shared/audio/clip.js';
import { Rng } from '../../../shared/numeric/rng.js';

const YES = { word: 'yes', voice: 'en-us+f2', speedWpm: 160, pitch: 40 };

describe('espeak-ng rendering', () => {
  it('renders once into the cache and reuses the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voice-'));
    const file = renderSpeech(YES, dir);
    const mtime = statSync(file).mtimeMs;
    expect(renderSpeech(YES, dir)).toBe(file);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(renderSpeech({ ...YES, pitch: 41 }, dir)).not.toBe(file);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const a = speechAudio(YES, dir);
    expect(a.sampleRate).toBe(22050);
    const [s, e] = activeRange(a.samples);
    expect((e - s) / a.sampleRate).toBeGreaterThan(0.15);
  });

  it('names the voice when it is unknown and refuses words that are not words', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voice-'));
    expect(() => renderSpeech({ ...YES, voice: 'xx-nosuch' }, dir)).toThrow(
      /-v xx-nosuch.*could not render "yes"/,
    );
    expect(() => renderSpeech({ ...YES, word: 'rm -rf; ls' }, dir)).toThrow(/must be letters/);
  });

  it('says a word with given phonemes in the voice, cached apart from its own pronunciation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voice-'));
    const DOWN = { word: 'down', voice: 'en-us', speedWpm: 170, pitch: 50 };
    const own = renderSpeech(DOWN, dir);
    const midlands = renderSpeech({ ...DOWN, phonemes: "d'EUn" }, dir);
    expect(midlands).not.toBe(own);
    expect(Array.from(speechAudio({ ...DOWN, phonemes: "d'EUn" }, dir).samples)).not.toEqual(
      Array.from(speechAudio(DOWN, dir).samples),
    );
    // the phonemes are what is said: the word's own mnemonics give its own pronunciation
    expect(Array.from(speechAudio({ ...DOWN, phonemes: "d'aUn" }, dir).samples)).toEqual(
      Array.from(speechAudio(DOWN, dir).samples),
    );
    expect(() => renderSpeech({ ...DOWN, phonemes: "d'aUn]] rm" }, dir)).toThrow(
      /not espeak-ng phoneme mnemonics/,
    );
  });

  it('turns one word into [32, 20] features, the same every time', () => {
    const a = renderWordFeatures(YES);
    const { steps, dim } = clipShape(VOICE_CLIP);
    expect([steps, dim]).toEqual([32, 20]);
    expect(a.length).toBe(steps * dim);
    expect(Array.from(renderWordFeatures(YES))).toEqual(Array.from(a));
  });
});

describe('clip mixing', () => {
  it('centres the word, shifts it and adds noise at the requested SNR', () => {
    const word = new Float32Array(300);
    for (let i = 100; i < 200; i++) word[i] = i % 2 ? 0.5 : -0.5;
    const clean = mixWord(
      word,
      { clipSamples: 1000, shiftSamples: 50, snrDb: Infinity, peak: 1 },
      new Rng(1),
    );
    expect(activeRange(clean)).toEqual([500, 600]);
    const noisy = mixWord(word, { clipSamples: 1000, shiftSamples: 0, snrDb: 10, peak: 1 }, new Rng(1));
    let noise = 0;
    for (let i = 0; i < 400; i++) noise += noisy[i]! ** 2;
    expect(10 * Math.log10(1 / (noise / 400))).toBeCloseTo(10, 0);
  });
});

describe('partial words', () => {
  it('keep only the start of a word at the clip end, or its end at the clip start', () => {
    const word = new Float32Array(300);
    for (let i = 100; i < 200; i++) word[i] = i % 2 ? 0.5 : -0.5;
    const entering = partialWord(word, 1000, 0.3, true, 1);
    expect(activeRange(entering)).toEqual([970, 1000]);
    expect(entering[970]).toBe(word[100]! * 2);
    const leaving = partialWord(word, 1000, 0.3, false, 1);
    expect(activeRange(leaving)).toEqual([0, 30]);
    expect(leaving[29]).toBe(word[199]! * 2);
  });
});

describe('voice data set', () => {
  const opts = {
    seed: 4,
    keywords: ['yes', 'no'],
    perClass: 5,
    otherMultiple: 1,
    trainFraction: 0.4,
    valFraction: 0.2,
  };

  it('has one-hot labels, keywords then other, in the trainer shape', () => {
    const d = voiceDataset(opts);
    expect(d.classes).toEqual(['yes', 'no', OTHER_CLASS]);
    expect([d.train.n, d.val.n, d.testSeen.n, d.testUnseen.n, d.test.n]).toEqual([6, 3, 6, 6, 12]);
    expect([d.train.window, d.train.inputs, d.train.outputs]).toEqual([32, 20, 3]);
    expect(d.train.x.length).toBe(6 * 32 * 20);
    for (let r = 0; r < d.test.n; r++) {
      const row = Array.from(d.test.y.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((a, b) => a + b)).toBe(1);
      expect(row[r % 3]).toBe(1);
    }
    // training features are standardised with their own statistics
    let s = 0;
    for (const v of d.train.x) s += v;
    expect(s / d.train.x.length).toBeCloseTo(0, 8);
    expect(d.inputScaling.std.every((v) => v > 0)).toBe(true);
  });

  it("gives 'other' more clips than a keyword when asked", () => {
    const d = voiceDataset({ ...opts, otherMultiple: 3 });
    expect(d.train.n).toBe(2 * (2 + 3));
    const counts = [0, 0, 0];
    for (let r = 0; r < d.train.n; r++) for (let c = 0; c < 3; c++) counts[c]! += d.train.y[r * 3 + c]!;
    expect(counts).toEqual([2, 2, 6]);
  });

  it('tests on speakers training never heard, and on training speakers apart', () => {
    const d = voiceDataset({ ...opts, perClass: 10 });
    const heard = new Set([...d.speakers.train, ...d.speakers.val].filter((s) => s !== null));
    const seen = d.speakers.seen.filter((s) => s !== null);
    const unseen = d.speakers.unseen.filter((s) => s !== null);
    expect(seen.length).toBeGreaterThan(0);
    expect(unseen.length).toBeGreaterThan(0);
    for (const s of seen) expect(VOICE_DEFAULTS.voices).toContain(s.split('+')[0]);
    for (const s of unseen) {
      expect(heard.has(s)).toBe(false);
      const [base, variant] = s.split('+');
      // a base voice or a variant that no training speaker has
      expect(
        VOICE_DEFAULTS.unseenVoices.includes(base!) || VOICE_DEFAULTS.unseenVariants.includes(variant!),
      ).toBe(true);
    }
    expect(() => voiceDataset({ ...opts, unseenVariants: ['f2'] })).toThrow(/must not be training speakers/);
  });

  it('says a share of training keywords with accent variants and leaves the test splits as the voices say them', () => {
    const plain = voiceDataset({ ...opts, accentShare: 0 });
    const accented = voiceDataset({ ...opts, accentShare: 1 }, plain.inputScaling);
    expect(Array.from(accented.test.x)).toEqual(Array.from(plain.test.x));
    expect(Array.from(accented.train.x)).not.toEqual(Array.from(plain.train.x));
    expect(accentPronunciations('down')).toContain("d'EUn");
    expect(accentPronunciations('toString')).toEqual([]);
    expect(() => voiceDataset({ ...opts, accentShare: 1.5 })).toThrow(/accentShare must be in 0–1, got 1.5/);
  });

  it('reproduces from its seed and changes with it', () => {
    const a = voiceDataset(opts);
    const b = voiceDataset(opts);
    expect(Array.from(b.test.x)).toEqual(Array.from(a.test.x));
    const c = voiceDataset({ ...opts, seed: 5 });
    expect(Array.from(c.test.x)).not.toEqual(Array.from(a.test.x));
  });

  it('refuses splits that leave no test utterances and keywords among the other words', () => {
    expect(() => voiceDataset({ ...opts, perClass: 2 })).toThrow(/perClass 2 leaves an empty/);
    expect(() => voiceDataset({ ...opts, otherWords: ['yes', 'cat'] })).toThrow(/must not contain a keyword/);
  });
});
