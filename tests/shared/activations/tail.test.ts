import { describe, expect, it } from 'vitest';
import { type ScalarCore, tailBoundary, tailSlope, tailValue } from '../../../shared/activations/tail.js';
import { TAIL_POLICIES } from '../../../shared/activations/types.js';

const core: ScalarCore = { value: (z) => z ** 3 + 0.5 * z, slope: (z) => 3 * z * z + 0.5 };
const b = tailBoundary(core);

describe('tail policies', () => {
  it('linear: value and slope are continuous at ±1 and the slope is the boundary slope outside', () => {
    for (const edge of [-1, 1]) {
      const eps = 1e-9;
      expect(tailValue('linear', b, core, edge + edge * eps)).toBeCloseTo(core.value(edge), 7);
      expect(tailSlope('linear', b, core, edge + edge * eps)).toBe(core.slope(edge));
    }
    expect(tailValue('linear', b, core, 3)).toBeCloseTo(1.5 + 3.5 * 2, 12);
    expect(tailValue('linear', b, core, -4)).toBeCloseTo(-1.5 - 3.5 * 3, 12);
    const h = 1e-6;
    for (const z of [-5, -1.5, 1.5, 7]) {
      const fd = (tailValue('linear', b, core, z + h) - tailValue('linear', b, core, z - h)) / (2 * h);
      expect(fd).toBeCloseTo(tailSlope('linear', b, core, z), 6);
    }
  });

  it('constant: holds the boundary values with zero slope', () => {
    expect(tailValue('constant', b, core, 50)).toBe(core.value(1));
    expect(tailValue('constant', b, core, -50)).toBe(core.value(-1));
    expect(tailSlope('constant', b, core, 50)).toBe(0);
    expect(tailSlope('constant', b, core, -1.0001)).toBe(0);
  });

  it('extend: the closed form everywhere; all policies agree inside [-1, 1]', () => {
    expect(tailValue('extend', b, core, 2)).toBe(core.value(2));
    for (const policy of TAIL_POLICIES) {
      for (const z of [-1, -0.3, 0, 0.8, 1]) {
        expect(tailValue(policy, b, core, z)).toBe(core.value(z));
        expect(tailSlope(policy, b, core, z)).toBe(core.slope(z));
      }
    }
  });
});
