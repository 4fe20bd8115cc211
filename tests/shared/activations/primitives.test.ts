import { describe, expect, it } from 'vitest';
import { erf, erfc } from '../../../shared/activations/math.js';
import { PRIMITIVE_NAMES, PRIMITIVES, rangeIsSafe } from '../../../shared/activations/primitives.js';

const H = 1e-6;

describe('primitives', () => {
  it('erf and erfc match reference values to near machine precision', () => {
    const ref: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3.5, 0.9999992569016276],
    ];
    for (const [x, v] of ref) {
      expect(Math.abs(erf(x) - v)).toBeLessThan(2e-16 * 4);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erfc(5) / 1.5374597944280349e-12 - 1).toBeLessThan(1e-13);
    expect(erfc(-5)).toBeCloseTo(2 - 1.5374597944280349e-12, 15);
  });

  it('every primitive derivative matches central finite differences inside its domain, away from kinks', () => {
    const points = [-2.3, -1.1, -0.37, 0.21, 0.66, 1.4, 2.7];
    for (const name of PRIMITIVE_NAMES) {
      const p = PRIMITIVES[name];
      for (const x of points) {
        if (!rangeIsSafe(p, x - H, x + H)) continue;
        const fd = (p.f(x + H) - p.f(x - H)) / (2 * H);
        expect(Math.abs(fd - p.df(x)), `${name} at ${x}`).toBeLessThan(1e-6 * (1 + Math.abs(p.df(x))));
      }
    }
  });

  it('gelu f and f′ agree by finite differences across the erf series/fraction switch', () => {
    const g = PRIMITIVES.gelu;
    for (const x of [-6, -4.3, -4.24, -4.25, -1, 0, 4.24, 4.25, 5]) {
      const fd = (g.f(x + H) - g.f(x - H)) / (2 * H);
      expect(Math.abs(fd - g.df(x))).toBeLessThan(1e-8);
    }
  });

  it('registry entries are named records with domain and safety flags', () => {
    expect(PRIMITIVES.inv.safeOnReals).toBe(false);
    expect(rangeIsSafe(PRIMITIVES.inv, -1, 1)).toBe(false);
    expect(rangeIsSafe(PRIMITIVES.log, 0.5, 2)).toBe(true);
    expect(PRIMITIVES.tanh.safeOnReals).toBe(true);
    expect(PRIMITIVES.relu.smoothness).toBe('C0');
  });
});
