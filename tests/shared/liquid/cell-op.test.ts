import { describe, expect, it } from 'vitest';
import { classicEntries, compileActivation } from '../../../shared/activations/index.js';
import { liquidStepInto, rhoFromTau, tauFromRhoInto } from '../../../shared/liquid/cell.js';
import { liquidStep } from '../../../shared/liquid/cell-op.js';
import { SelectorKernel } from '../../../shared/model/selector.js';
import { selectorMix } from '../../../shared/model/selector-op.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { mul, sum } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Var } from '../../../shared/numeric/tape.js';
import { entriesOfEveryForm } from '../../helpers/models.js';

function rand(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  return a;
}

describe('liquid step', () => {
  it('solves dx/dt = -x/τ + φ exactly for constant φ', () => {
    // closed form: x(t) = τφ + (x0 − τφ)·exp(−t/τ)
    const tau = Float64Array.of(0.5, 3);
    const x = Float64Array.of(1, -2);
    const phi = Float64Array.of(0.3, 0.7);
    const out = new Float64Array(2);
    liquidStepInto(x, phi, tau, Float64Array.of(0.8), out);
    for (let i = 0; i < 2; i++) {
      const want = tau[i]! * phi[i]! + (x[i]! - tau[i]! * phi[i]!) * Math.exp(-0.8 / tau[i]!);
      expect(out[i]).toBeCloseTo(want, 14);
    }
    // two half steps equal one full step when φ is constant (variable Δt is exact)
    const half = new Float64Array(2);
    liquidStepInto(x, phi, tau, Float64Array.of(0.4), half);
    liquidStepInto(half, phi, tau, Float64Array.of(0.4), half);
    for (let i = 0; i < 2; i++) expect(half[i]).toBeCloseTo(out[i]!, 14);
  });

  it('keeps τ inside its band for any ρ', () => {
    const out = new Float64Array(3);
    tauFromRhoInto(Float64Array.of(-1e3, 0, 1e3), 0.2, 20, out);
    expect(out[0]).toBeGreaterThanOrEqual(0.2);
    expect(out[2]).toBeLessThanOrEqual(20);
    const back = new Float64Array(1);
    tauFromRhoInto(Float64Array.of(rhoFromTau(4, 0.2, 20)), 0.2, 20, back);
    expect(back[0]).toBeCloseTo(4, 10);
  });

  it('has gradients that match finite differences (x, φ, ρ)', () => {
    const rng = new Rng(3);
    const N = 2;
    const H = 4;
    const x = Var.param(rand(rng, N * H, -1, 1), [N, H], 'x');
    const phi = Var.param(rand(rng, N * H, -1, 1), [N, H], 'phi');
    const rho = Var.param(rand(rng, H, -2, 2), [H], 'rho');
    const w = Var.constant(rand(rng, N * H, -1, 1), [N, H]);
    const dt = Float64Array.of(0.3, 1.7);
    const r = gradcheck((t) => sum(t, mul(t, liquidStep(t, x, phi, rho, dt, 0.2, 5), w)), [x, phi, rho]);
    expect(r.maxRelError).toBeLessThan(1e-6);
  });
});

describe('selector mixture op', () => {
  const entries = classicEntries().filter((e) =>
    ['tanh', 'sin', 'silu', 'sigmoid', 'gelu', 'softplus'].includes(e.name),
  );
  const kernel = new SelectorKernel(entries.map((e) => compileActivation(e)));

  for (const mode of ['soft', 'hard'] as const) {
    it(`has gradients that match finite differences (${mode}: u, logits, affine)`, () => {
      const rng = new Rng(11);
      const K = entries.length;
      const u = Var.param(rand(rng, 10, -2, 2), [2, 5], 'u');
      const logits = Var.param(rand(rng, K, -1, 1), [K], 'logits');
      const aff = new Float64Array(4 * K);
      entries.forEach((e, k) => {
        aff.set([e.natural.a * 1.1, e.natural.b + 0.05, e.natural.c * 0.9, e.natural.d - 0.1], 4 * k);
      });
      const affine = Var.param(aff, [K, 4], 'affine');
      const w = Var.constant(rand(rng, 10, -1, 1), [2, 5]);
      const state = { kernel, mode, temperature: 0.7, chosen: 2 };
      const params = mode === 'soft' ? [u, logits, affine] : [u, affine];
      const r = gradcheck((t) => sum(t, mul(t, selectorMix(t, u, logits, affine, state), w)), params);
      expect(r.maxRelError).toBeLessThan(1e-5);
    });
  }

  it('has gradients that match finite differences for symbolic, chebyshev and rational entries, tails included', () => {
    const others = entriesOfEveryForm();
    const k2 = new SelectorKernel(others.map((e) => compileActivation(e)));
    const rng = new Rng(12);
    const K = others.length;
    // inputs span the tails: z = a·u + b reaches beyond ±1
    const u = Var.param(rand(rng, 12, -1.6, 1.6), [12], 'u');
    const logits = Var.param(rand(rng, K, -1, 1), [K], 'logits');
    const aff = new Float64Array(4 * K);
    for (let k = 0; k < K; k++) aff.set([1.3, 0.1, 0.8, 0.05], 4 * k);
    const affine = Var.param(aff, [K, 4], 'affine');
    const w = Var.constant(rand(rng, 12, -1, 1), [12]);
    const state = { kernel: k2, mode: 'soft' as const, temperature: 1, chosen: 0 };
    const r = gradcheck(
      (t) => sum(t, mul(t, selectorMix(t, u, logits, affine, state), w)),
      [u, logits, affine],
    );
    expect(r.maxRelError).toBeLessThan(1e-5);
  });

  it('reproduces the entry itself when hard and at the natural affine', () => {
    const tanhIdx = entries.findIndex((e) => e.name === 'tanh');
    const K = entries.length;
    const aff = new Float64Array(4 * K);
    entries.forEach((e, k) => {
      aff.set([e.natural.a, e.natural.b, e.natural.c, e.natural.d], 4 * k);
    });
    const w = new Float64Array(K);
    w[tanhIdx] = 1;
    const u = Float64Array.of(-10, -1, 0, 0.5, 10);
    const y = new Float64Array(5);
    kernel.forwardInto(u, aff, w, y);
    for (let i = 0; i < 5; i++) expect(y[i]).toBeCloseTo(Math.tanh(u[i]!), 12);
  });
});
