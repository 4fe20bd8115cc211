import { describe, expect, it } from 'vitest';
import { fitChebyshev, fitRationalFunction } from '../../../shared/activations/fit.js';
import { rationalForm } from '../../../shared/activations/forms/rational.js';

/** J0(x) = (1/π)∫₀^π cos(x·sin t) dt; the trapezoid rule is spectrally accurate for this periodic integrand. */
function besselJ0(x: number): number {
  const n = 200;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.cos(x * Math.sin((Math.PI * (i + 0.5)) / n));
  return s / n;
}

describe('chebyshev fit', () => {
  it('hits the tolerance with the smallest degree, and wigglier shapes need more terms', () => {
    const tol = 1e-8;
    const exp = fitChebyshev(Math.exp, { tol });
    const j0 = fitChebyshev((z) => besselJ0(8 * z), { tol });
    const j0wide = fitChebyshev((z) => besselJ0(20 * z), { tol });
    for (const f of [exp, j0, j0wide]) {
      expect(f.converged).toBe(true);
      expect(f.error.maxAbs).toBeLessThanOrEqual(tol);
    }
    expect(exp.degree).toBeLessThan(j0.degree);
    expect(j0.degree).toBeLessThan(j0wide.degree);
    // smallest: one degree less misses the tolerance
    const less = fitChebyshev((z) => besselJ0(8 * z), { tol, maxDegree: j0.degree - 1 });
    expect(less.converged).toBe(false);
  });

  it('reports non-convergence at maxDegree', () => {
    const f = fitChebyshev(Math.abs, { tol: 1e-10, maxDegree: 10 });
    expect(f.converged).toBe(false);
    expect(f.degree).toBe(10);
  });
});

describe('rational fit', () => {
  it('fits tanh(3z)/tanh(3) to 1e-4 with a denominator that stays positive everywhere', () => {
    const target = (z: number) => Math.tanh(3 * z) / Math.tanh(3);
    const fit = fitRationalFunction(target, { numeratorDegree: 5, denominatorDegree: 2 });
    for (const e of fit.params.q) expect(e).toBeGreaterThanOrEqual(0);
    let maxErr = 0;
    for (let i = 0; i <= 2000; i++) {
      const z = -1 + i / 1000;
      maxErr = Math.max(maxErr, Math.abs(rationalForm.evaluate(fit.params, z) - target(z)));
    }
    expect(maxErr).toBeLessThan(1e-4);
    for (const z of [-1e4, -10, -1, 0, 1, 10, 1e4]) {
      let den = 1;
      fit.params.q.forEach((e, k) => {
        den += e * z ** (2 * k + 2);
      });
      expect(den).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(rationalForm.evaluate(fit.params, z))).toBe(true);
    }
  });

  it('recovers an exact rational', () => {
    const target = (z: number) => (0.5 + z - 0.2 * z * z) / (1 + 2 * z * z);
    const fit = fitRationalFunction(target, { numeratorDegree: 2, denominatorDegree: 1 });
    expect(fit.error.maxAbs).toBeLessThan(1e-9);
    expect(fit.params.q[0]).toBeCloseTo(2, 6);
  });
});
