import { describe, expect, it } from 'vitest';
import { Rng } from '../../../shared/numeric/rng.js';

function draw(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.next());
}

describe('Rng', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draw(new Rng(42), 100)).toEqual(draw(new Rng(42), 100));
    const a = new Rng(7);
    const b = new Rng(7);
    for (let i = 0; i < 50; i++) {
      expect(a.normal()).toBe(b.normal());
      expect(a.int(13)).toBe(b.int(13));
      expect(a.uniform(-2, 3)).toBe(b.uniform(-2, 3));
    }
  });

  it('gives different sequences for different seeds, including seeds above 2^32', () => {
    expect(draw(new Rng(1), 10)).not.toEqual(draw(new Rng(2), 10));
    expect(draw(new Rng(5), 10)).not.toEqual(draw(new Rng(5 + 2 ** 32), 10));
  });

  it('keeps next() in [0, 1) with mean ≈ 1/2', () => {
    const rng = new Rng(3);
    let s = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 20000; i++) {
      const u = rng.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
      s += u;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(s / 20000 - 0.5)).toBeLessThan(0.01);
  });

  it('draws standard normals with mean ≈ 0 and variance ≈ 1', () => {
    const rng = new Rng(11);
    const n = 40000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('draws every int(n) value in range', () => {
    const rng = new Rng(5);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[rng.int(6)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(() => rng.int(0)).toThrow(/Rng.int/);
  });

  it('shuffles in place as a permutation, deterministically', () => {
    const a = Int32Array.from({ length: 20 }, (_, i) => i);
    const b = Int32Array.from({ length: 20 }, (_, i) => i);
    new Rng(9).shuffle(a);
    new Rng(9).shuffle(b);
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('forks named streams that ignore the parent position and differ by label', () => {
    const parent = new Rng(100);
    const f1 = draw(parent.fork('init'), 5);
    draw(parent, 17);
    expect(draw(parent.fork('init'), 5)).toEqual(f1);
    expect(draw(parent.fork('data'), 5)).not.toEqual(f1);
    expect(draw(new Rng(100), 5)).not.toEqual(f1);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(() => new Rng(-1)).toThrow(/seed/);
    expect(() => new Rng(1.5)).toThrow(/seed/);
  });
});
