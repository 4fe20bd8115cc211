import { describe, expect, it } from 'vitest';
import { CLASSIC_NAMES } from '../../../shared/activations/forms/classic.js';
import { FORMS, type FormParams, formModule } from '../../../shared/activations/forms/index.js';
import { SYMBOLIC_NAMES, symbolicForm } from '../../../shared/activations/forms/symbolic.js';
import type { FormName } from '../../../shared/activations/types.js';

const H = 1e-6;

function checkDerivative(form: FormName, params: FormParams, kinkAt?: number): void {
  const m = formModule(form);
  for (let i = 0; i <= 40; i++) {
    const z = -0.995 + (1.99 * i) / 40;
    if (kinkAt !== undefined && Math.abs(z - kinkAt) < 1e-3) continue;
    const fd = (m.evaluate(params, z + H) - m.evaluate(params, z - H)) / (2 * H);
    const d = m.derivative(params, z);
    expect(Math.abs(fd - d), `${form} ${JSON.stringify(params)} at ${z}`).toBeLessThan(
      1e-6 * (1 + Math.abs(d)),
    );
  }
}

describe('forms', () => {
  it('classic ψ′ matches finite differences for every classic function', () => {
    for (const fn of CLASSIC_NAMES) {
      const params = FORMS.classic.parse({ fn, alpha: 2.5, beta: 0.3, gamma: 0.7, delta: -0.2 }, 'test');
      checkDerivative('classic', params, -0.3 / 2.5);
    }
  });

  it('symbolic ψ′ matches finite differences for every symbolic function inside its domain', () => {
    for (const fn of SYMBOLIC_NAMES) {
      const beta = fn === 'inv' || fn === 'sqrt' || fn === 'log' ? 2 : 0.3;
      const params = symbolicForm.parse({ fn, alpha: 1.2, beta, gamma: 1.5, delta: 0.1 }, 'test');
      checkDerivative('symbolic', params, -beta / 1.2);
    }
  });

  it('chebyshev ψ′ (U-series Clenshaw) matches finite differences', () => {
    const params = FORMS.chebyshev.parse({ coeffs: [0.1, -0.8, 0.3, 0.25, -0.05, 0.02, 0.01] }, 'test');
    checkDerivative('chebyshev', params);
    // T_3(z) = 4z³ − 3z
    const t3 = FORMS.chebyshev.parse({ coeffs: [0, 0, 0, 1] }, 'test');
    expect(FORMS.chebyshev.evaluate(t3, 0.4)).toBeCloseTo(4 * 0.064 - 1.2, 14);
    expect(FORMS.chebyshev.derivative(t3, 0.4)).toBeCloseTo(12 * 0.16 - 3, 14);
  });

  it('rational ψ′ matches finite differences and the denominator is ≥ 1', () => {
    const params = FORMS.rational.parse({ p: [0.2, 1.5, -0.3, 0.4], q: [0.8, 0.1] }, 'test');
    checkDerivative('rational', params);
    for (const z of [-1e3, -3, 0, 2, 1e6])
      expect(Number.isFinite(FORMS.rational.evaluate(params, z))).toBe(true);
  });

  it('parse rejects bad params with messages naming the field and the entry', () => {
    expect(() =>
      symbolicForm.parse({ fn: 'log', alpha: 1, beta: 0.5, gamma: 1, delta: 0 }, "entry 'l1'"),
    ).toThrow(/entry 'l1'.*params.*log.*safe domain/);
    expect(() => symbolicForm.parse({ fn: 'inv', alpha: 1, beta: 0, gamma: 1, delta: 0 }, 'e')).toThrow(
      /inv/,
    );
    expect(() => FORMS.classic.parse({ fn: 'x2', alpha: 1, beta: 0, gamma: 1, delta: 0 }, 'e')).toThrow(
      /params\.fn.*one of identity/,
    );
    expect(() => FORMS.classic.parse({ fn: 'tanh', alpha: 'a', beta: 0, gamma: 1, delta: 0 }, 'e')).toThrow(
      /params\.alpha/,
    );
    expect(() => FORMS.rational.parse({ p: [1, 2], q: [-0.5] }, 'e')).toThrow(/params\.q\.0.*≥ 0/);
    expect(() => FORMS.chebyshev.parse({ coeffs: [1] }, 'e')).toThrow(/params\.coeffs/);
  });

  it('only forms safe on all of ℝ are extendable', () => {
    expect(FORMS.chebyshev.extendable({ coeffs: [0, 1] })).toBe(false);
    expect(FORMS.rational.extendable({ p: [0, 1], q: [1] })).toBe(true);
    expect(
      symbolicForm.extendable(symbolicForm.parse({ fn: 'x2', alpha: 1, beta: 0, gamma: 1, delta: 0 }, 'e')),
    ).toBe(true);
    expect(
      symbolicForm.extendable(symbolicForm.parse({ fn: 'exp', alpha: 1, beta: 0, gamma: 1, delta: 0 }, 'e')),
    ).toBe(false);
  });
});
