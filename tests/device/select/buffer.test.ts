import { describe, expect, it } from 'vitest';
import { ROLE_FIT, ROLE_HELD_OUT, ROLE_SKIP, SampleBuffer } from '../../../device/select/buffer.js';

/** A buffer whose row t has input [t] and target [t] (or none). */
function counting(rows: number, capacity = rows, labelled = (_t: number) => true): SampleBuffer {
  const b = new SampleBuffer(capacity, 1, 1);
  for (let t = 0; t < rows; t++) b.push(Float64Array.of(t), labelled(t) ? Float64Array.of(t) : null, 1);
  return b;
}

describe('SampleBuffer', () => {
  it('keeps the most recent rows once full', () => {
    const b = counting(150, 100);
    expect(b.size).toBe(100);
    const s = b.sequences({ streams: 1, warmup: 0, heldOutFraction: 0.25 });
    const seen = new Set(Array.from(s.x).filter((_, c) => s.dt[c] > 0 && s.role[c] !== ROLE_SKIP));
    expect(seen.size).toBe(100);
    expect(Math.min(...seen)).toBe(50);
    expect(Math.max(...seen)).toBe(149);
  });

  it('labels a past row when its forecast target arrives', () => {
    const b = counting(10, 10, () => false);
    expect(b.labelled).toBe(0);
    b.labelAgo(3, Float64Array.of(42));
    expect(b.labelled).toBe(1);
    const s = b.sequences({ streams: 1, warmup: 0, heldOutFraction: 0.5 });
    const i = Array.from(s.x).indexOf(6);
    expect(s.y[i]).toBe(42);
    expect(s.role[i]).not.toBe(ROLE_SKIP);
    expect(() => b.labelAgo(10, Float64Array.of(0))).toThrow(/no row 10 steps ago/);
  });

  it('holds out the most recent quarter, scores every labelled row once and never a warm-up row', () => {
    const b = counting(2000, 2000, (t) => t % 7 !== 0);
    const s = b.sequences({ streams: 8, warmup: 24 });
    const scored = new Map<number, number>();
    for (let c = 0; c < s.role.length; c++) {
      if (s.role[c] === ROLE_SKIP) continue;
      const t = s.x[c]!;
      expect(scored.has(t)).toBe(false);
      scored.set(t, s.role[c]!);
      expect(s.y[c]).toBe(t);
    }
    const fit = [...scored].filter(([, r]) => r === ROLE_FIT).map(([t]) => t);
    const held = [...scored].filter(([, r]) => r === ROLE_HELD_OUT).map(([t]) => t);
    expect(Math.max(...fit)).toBeLessThan(Math.min(...held));
    expect(Math.min(...held)).toBe(1500);
    expect(held.length).toBe(s.heldOutRows);
    expect(fit.length).toBe(s.fitRows);
    // every labelled row after the first warm-up is scored
    const expected = Array.from({ length: 2000 }, (_, t) => t).filter((t) => t % 7 !== 0 && t >= 24);
    expect(scored.size).toBe(expected.length);
    // each stream is contiguous in time
    for (let n = 0; n < s.streams; n++) {
      for (let t = 1; t < s.steps; t++) {
        const a = s.x[(t - 1) * s.streams + n]!;
        const c = s.x[t * s.streams + n]!;
        if (s.role[t * s.streams + n] !== ROLE_SKIP) expect(c).toBe(a + 1);
      }
    }
  });

  it('refuses rows of the wrong width and a bad Δt', () => {
    const b = new SampleBuffer(4, 2, 1);
    expect(() => b.push(new Float64Array(3), null, 1)).toThrow(/expected 2/);
    expect(() => b.push(new Float64Array(2), new Float64Array(2), 1)).toThrow(/expected 1/);
    expect(() => b.push(new Float64Array(2), null, 0)).toThrow(/dt must be > 0/);
  });
});
