/** Near-duplicates: tabulated shapes give the same distance as activationDistance, and quickly. */
import { describe, expect, it } from 'vitest';
import { activationDistance, classicEntry } from '../../../shared/activations/index.js';
import {
  NEAR_DUPLICATE_DISTANCE,
  ShapeIndex,
  shapeDistance,
  tabulateShape,
} from '../../../shared/library/near.js';
import { bumpy, fitted } from './fixtures.js';

describe('near-duplicate distance', () => {
  it('agrees with activationDistance on ordinary pairs', () => {
    for (const [p, q] of [
      ['tanh', 'relu'],
      ['identity', 'sin'],
      ['silu', 'gelu'],
    ] as const) {
      const exact = activationDistance(classicEntry(p), classicEntry(q));
      const fast = shapeDistance(tabulateShape(classicEntry(p)), tabulateShape(classicEntry(q)));
      expect(fast).toBeCloseTo(exact, 3);
    }
  });

  it('is ~0 for an affine copy and clearly above the threshold for another shape', () => {
    const copy = fitted('copy', (x) => 3 * Math.tanh(0.5 * x) - 1, -6, 6);
    const tanh = tabulateShape(classicEntry('tanh'));
    expect(shapeDistance(tabulateShape(copy), tanh)).toBeLessThan(1e-3);
    expect(shapeDistance(tabulateShape(fitted('b', bumpy, -2, 3)), tanh)).toBeGreaterThan(
      5 * NEAR_DUPLICATE_DISTANCE,
    );
  });

  it('stays fast on a pair whose unbounded search creeps for minutes (leaky_relu, gelu)', () => {
    const t0 = performance.now();
    const d = shapeDistance(tabulateShape(classicEntry('leaky_relu')), tabulateShape(classicEntry('gelu')));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(d).toBeGreaterThan(0.04);
    expect(d).toBeLessThan(0.07);
  });

  it('ShapeIndex finds the nearest shape within the threshold, or none', () => {
    const index = new ShapeIndex();
    index.add(tabulateShape(classicEntry('sin')));
    index.add(tabulateShape(classicEntry('tanh')));
    expect(index.size).toBe(2);
    const near = index.nearest(tabulateShape(classicEntry('sigmoid')));
    expect(near?.index).toBe(1);
    expect(index.nearest(tabulateShape(classicEntry('gaussian')))).toBeNull();
  });
});
