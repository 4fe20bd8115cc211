import { describe, expect, it } from 'vitest';
import {
  addNoise,
  applyChannel,
  CHANNEL_DEFAULTS,
  DRY,
  drawChannel,
  power,
  roomReverb,
} from '../../../cloud/tasks/voice-augment.js';
import { Rng } from '../../../shared/numeric/rng.js';

function word(): Float32Array {
  const x = new Float32Array(16000);
  for (let i = 5000; i < 9000; i++) x[i] = 0.1 * Math.sin(i * 0.2);
  return x;
}

describe('voice channel augmentation', () => {
  it('adds noise at the SNR measured on the speech, and none for digital silence', () => {
    const x = applyChannel(word(), { ...DRY, snrDb: 10 }, 16000, new Rng(1));
    const noise = power(x.subarray(0, 5000));
    expect(10 * Math.log10(power(word()) / noise)).toBeCloseTo(10, 0);
    const dry = applyChannel(word(), DRY, 16000, new Rng(1));
    expect(dry.subarray(0, 5000).every((v) => v === 0)).toBe(true);
  });

  it('applies the gain, the DC offset and clips at full scale when overdriven', () => {
    const g = applyChannel(word(), { ...DRY, gainDb: 10, dcOffset: 0.01 }, 16000, new Rng(1));
    expect(Math.max(...g)).toBeCloseTo(0.1 * 10 ** 0.5 + 0.01, 3);
    expect(g[0]).toBeCloseTo(0.01, 6);
    const c = applyChannel(word(), { ...DRY, driveDb: 12 }, 16000, new Rng(1));
    expect(Math.max(...c)).toBe(1);
    expect(c.filter((v) => Math.abs(v) === 1).length).toBeGreaterThan(1000);
  });

  it('reverberates: energy after the word ends decays over about RT60', () => {
    const x = roomReverb(word(), 16000, 0.4, 0.5, new Rng(2));
    const tail = power(x.subarray(9000, 9000 + 1600));
    const late = power(x.subarray(9000 + 6400, 9000 + 8000));
    expect(tail).toBeGreaterThan(0);
    expect(late).toBeLessThan(tail);
  });

  it('makes brown noise of the requested level and draws channels reproducibly', () => {
    const n = addNoise(new Float32Array(64000), 0.01, 'brown', new Rng(3));
    expect(Math.sqrt(power(n))).toBeGreaterThan(0.005);
    expect(Math.sqrt(power(n))).toBeLessThan(0.02);
    const a = drawChannel(CHANNEL_DEFAULTS, new Rng(4));
    expect(drawChannel(CHANNEL_DEFAULTS, new Rng(4))).toEqual(a);
    const many = Array.from({ length: 400 }, (_, i) => drawChannel(CHANNEL_DEFAULTS, new Rng(i)));
    const share = (f: (c: (typeof many)[number]) => boolean) => many.filter(f).length / many.length;
    expect(share((c) => !Number.isFinite(c.snrDb))).toBeCloseTo(0.25, 1);
    expect(share((c) => c.reverb !== null)).toBeCloseTo(0.3, 1);
    expect(Math.min(...many.map((c) => c.gainDb))).toBeLessThan(-15);
    expect(Math.max(...many.map((c) => c.gainDb))).toBeGreaterThan(15);
  });
});
