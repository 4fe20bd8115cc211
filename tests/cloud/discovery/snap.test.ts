import { describe, expect, it } from 'vitest';
import { besselJ0 } from '../../../cloud/discovery/special.js';
import { evalSnap, snapEdge } from '../../../cloud/discovery/symbolic.js';

/** n evenly spaced samples of f on [lo, hi], with seeded uniform noise of ±noise/2. */
function samples(f: (x: number) => number, lo: number, hi: number, noise = 0, n = 200) {
  let s = 12345;
  const rnd = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  };
  const x = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  return { x, y: x.map((v) => f(v) + noise * rnd()) };
}

const CASES = [
  {
    name: 'sin(2x + 0.3)',
    f: (x: number) => Math.sin(2 * x + 0.3),
    lo: -1,
    hi: 1,
    fn: 'sin',
    abcd: [2, 0.3, 1, 0],
  },
  { name: 'x²', f: (x: number) => x * x, lo: -1, hi: 1, fn: 'x2', abcd: [1, 0, 1, 0] },
  { name: 'exp', f: Math.exp, lo: -1, hi: 1, fn: 'exp', abcd: [1, 0, 1, 0] },
  { name: 'tanh(3x)', f: (x: number) => Math.tanh(3 * x), lo: -1, hi: 1, fn: 'tanh', abcd: [3, 0, 1, 0] },
  { name: '1/(x + 2) on [1, 3]', f: (x: number) => 1 / (x + 2), lo: 1, hi: 3, fn: 'inv', abcd: [1, 2, 1, 0] },
  {
    name: '2·log(3 − x) + 1',
    f: (x: number) => 2 * Math.log(3 - x) + 1,
    lo: -1,
    hi: 2,
    fn: 'log',
    abcd: [-1, 3, 2, 1],
  },
] as const;

describe('snapEdge recovers closed forms and their constants', () => {
  for (const c of CASES) {
    it(`${c.name}, noise-free: exact constants`, () => {
      const { x, y } = samples(c.f, c.lo, c.hi);
      const r = snapEdge(x, y);
      expect(r.chosen?.fn).toBe(c.fn);
      const got = [r.chosen!.a, r.chosen!.b, r.chosen!.c, r.chosen!.d];
      for (const [k, v] of got.entries()) expect(v).toBeCloseTo(c.abcd[k], 6);
      expect(r.chosen!.r2).toBeGreaterThan(1 - 1e-12);
    });

    it(`${c.name}, slightly noisy: same form, constants to about 1%`, () => {
      const { x, y } = samples(c.f, c.lo, c.hi, 1e-3 * (c.fn === 'inv' ? 0.1 : 1));
      const r = snapEdge(x, y);
      expect(r.chosen?.fn).toBe(c.fn);
      for (let k = 0; k < 200; k += 17) expect(evalSnap(r.chosen!, x[k])).toBeCloseTo(c.f(x[k]), 2);
      expect(r.chosen!.a).toBeCloseTo(c.abcd[0], 1);
      expect(r.chosen!.b).toBeCloseTo(c.abcd[1], 1);
    });
  }

  it('J0(3x) on [-2, 2] does not snap: no candidate reaches R² ≥ 0.9999', () => {
    const { x, y } = samples((v) => besselJ0(3 * v), -2, 2);
    const r = snapEdge(x, y);
    expect(r.chosen).toBeNull();
    expect(r.ranked.length).toBeGreaterThan(10);
    expect(r.ranked.every((f) => f.r2 < 0.9999)).toBe(true);
    expect(r.ranked[0].r2).toBeGreaterThanOrEqual(r.ranked[1].r2);
  });

  it('prefers the simpler of two exact fits (x over x² with a far vertex) and reports constants', () => {
    const { x, y } = samples((v) => 3 * v - 1, -1, 1);
    const r = snapEdge(x, y);
    expect(r.chosen).toMatchObject({ fn: 'x', complexity: 1 });
    expect(r.chosen!.c).toBeCloseTo(3, 10);
    expect(r.chosen!.d).toBeCloseTo(-1, 10);
  });

  it('a constant edge is reported as constant, not snapped', () => {
    const r = snapEdge([0, 0.5, 1, 1.5], [2, 2, 2, 2]);
    expect(r).toEqual({ ranked: [], chosen: null, constant: true });
  });

  it('respects safe domains: sqrt and log never see a non-positive argument over the data', () => {
    const { x, y } = samples((v) => Math.sqrt(v + 1.001), -1, 1);
    const r = snapEdge(x, y);
    for (const f of r.ranked.filter((g) => g.fn === 'sqrt' || g.fn === 'log')) {
      expect(Math.min(f.a * -1 + f.b, f.a + f.b)).toBeGreaterThan(0);
    }
    expect(r.chosen?.fn).toBe('sqrt');
  });

  it('is deterministic and fast (well under 100 ms per edge once warm)', () => {
    const { x, y } = samples((v) => Math.sin(2 * v + 0.3) + 0.1 * v * v, -1, 1);
    const first = snapEdge(x, y);
    snapEdge(x, y);
    const t0 = process.cpuUsage();
    const again = snapEdge(x, y);
    const cpu = process.cpuUsage(t0);
    expect(again).toEqual(first);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(100);
  });
});
