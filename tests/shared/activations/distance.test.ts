import { describe, expect, it } from 'vitest';
import { classicEntry } from '../../../shared/activations/builtins.js';
import { canonicalizeFunction } from '../../../shared/activations/canonical.js';
import { activationDistance, directedDistance } from '../../../shared/activations/distance.js';
import { fitChebyshev } from '../../../shared/activations/fit.js';
import { buildEntry } from '../../../shared/activations/properties.js';

function chebEntry(f: (x: number) => number, lo: number, hi: number) {
  const { psi, natural } = canonicalizeFunction(f, lo, hi);
  const fit = fitChebyshev(psi, { tol: 1e-9 });
  return buildEntry({
    name: 'fitted',
    form: 'chebyshev',
    params: fit.params,
    tail: 'linear',
    natural,
    provenance: { source: 'user' },
    fitError: fit.error,
  });
}

describe('affine-invariant distance', () => {
  it('is ~0 for tanh against 2·tanh(x) + 1', () => {
    const copy = chebEntry((x) => 2 * Math.tanh(x) + 1, -3, 3);
    expect(activationDistance(classicEntry('tanh'), copy)).toBeLessThan(1e-6);
  });

  it('is ~0 for the same shape canonicalised from different affine copies', () => {
    const f = (x: number) => Math.sin(x) + 0.3 * x * x;
    const e1 = chebEntry(f, -2, 3);
    const e2 = chebEntry((x) => -4 * f(0.5 * x - 1) + 7, -2, 8); // the same window, mapped
    expect(activationDistance(e1, e2)).toBeLessThan(1e-6);
    // a sub-window of the same shape is found by the input affine search
    const sub = (z: number) => Math.tanh(3 * (0.5 * z + 0.25));
    expect(directedDistance(sub, (z) => Math.tanh(3 * z))).toBeLessThan(1e-6);
  });

  it('sees reflections as the same shape', () => {
    expect(
      directedDistance(
        (z) => Math.tanh(-2 * z),
        (z) => Math.exp(z) / (1 + Math.exp(z)) + 0 * z,
      ),
    ).toBeLessThan(0.05);
    expect(
      directedDistance(
        (z) => -(z ** 3),
        (z) => z ** 3,
      ),
    ).toBeLessThan(1e-6);
  });

  it('is clearly positive for different shapes, and symmetric', () => {
    const tanh = classicEntry('tanh');
    const sin = classicEntry('sin');
    const relu = classicEntry('relu');
    const x2 = buildEntry({
      name: 'x2',
      form: 'symbolic',
      params: { fn: 'x2', alpha: 1, beta: 0, gamma: 2, delta: -1 },
      tail: 'extend',
      natural: { a: 1, b: 0, c: 0.5, d: 0.5 },
      provenance: { source: 'user' },
    });
    expect(activationDistance(tanh, sin)).toBeGreaterThan(0.05);
    expect(activationDistance(relu, x2)).toBeGreaterThan(0.05);
    expect(activationDistance(tanh, sin)).toBe(activationDistance(sin, tanh));
  });
});
