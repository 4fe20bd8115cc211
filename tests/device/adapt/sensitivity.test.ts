import { describe, expect, it } from 'vitest';
import { TauAdapter } from '../../../device/adapt/tau.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { ReferenceRunner } from '../../../shared/model/reference.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** activation undefined: soft selectors over every entry. */
function model(activation: string | undefined, liquidLayers: number): HybridModel {
  const m = initModel({
    library: classicLibrary(),
    inputs: 2,
    hidden: 4,
    outputs: 2,
    seed: 11,
    liquidLayers,
    tauMin: 0.3,
    tauMax: 8,
    ...(activation ? { activation } : {}),
  });
  // make the recurrent weights strong enough to matter
  for (const [k, v] of m.params) if (k.endsWith('.W')) for (let i = 0; i < v.length; i++) v[i] = v[i]! * 2;
  return {
    ...m,
    residualInput: 1,
    scaling: { inputMean: [0.5, -1], inputStd: [2, 0.5], outputMean: [1, 3], outputStd: [1.5, 0.2] },
  };
}

/** The outputs after T steps of a fixed input sequence with τ given. */
function outputsAt(m: HybridModel, tau: Float64Array, inputs: Float64Array[], dts: number[]): Float64Array {
  const r = new ReferenceRunner(m, 1);
  r.setTau(tau);
  const out = new Float64Array(m.outputs);
  for (let t = 0; t < inputs.length; t++) r.step(inputs[t]!, dts[t]!, out);
  return out;
}

describe('τ sensitivities (RTRL on log τ)', () => {
  // float64: the reference's arithmetic, so the finite differences of its outputs match to 1e-6;
  // compiled: float32 states and pre-activations, so to float32's precision
  for (const [label, activation, liquidLayers, kernels, tolerance] of [
    ['hard tanh, one liquid layer', 'tanh', 1, 'float64', 1e-6],
    ['hard tanh, two liquid layers', 'tanh', 2, 'float64', 1e-6],
    ['hard softplus, one liquid layer', 'softplus', 1, 'float64', 1e-6],
    ['hard tanh, two liquid layers, compiled kernels', 'tanh', 2, 'compiled', 1e-4],
    ['hard softplus, one liquid layer, compiled kernels', 'softplus', 1, 'compiled', 1e-4],
  ] as const) {
    it(`match central finite differences: ${label}`, () => {
      const m = model(activation, liquidLayers);
      const rng = new Rng(4);
      const T = 40;
      const inputs = Array.from({ length: T }, () => Float64Array.of(rng.normal() * 2, rng.normal()));
      const dts = Array.from({ length: T }, () => rng.uniform(0.3, 1.5));
      const a = new TauAdapter(m, { lr: 0, kernels });
      const target = new Float64Array(m.outputs);
      for (let t = 0; t < T; t++) a.observe(inputs[t]!, dts[t]!, target);
      const s = a.sensitivity;
      const P = s.size;
      expect(P).toBe(4 * liquidLayers);
      const tau = a.tau;
      const h = 1e-5;
      let worst = 0;
      for (let j = 0; j < P; j++) {
        const up = tau.slice();
        const down = tau.slice();
        up[j] = tau[j]! * Math.exp(h);
        down[j] = tau[j]! * Math.exp(-h);
        const yu = outputsAt(m, up, inputs, dts);
        const yd = outputsAt(m, down, inputs, dts);
        for (let o = 0; o < m.outputs; o++) {
          const fd = (yu[o]! - yd[o]!) / (2 * h);
          const an = s.dy[o * P + j]!;
          worst = Math.max(worst, Math.abs(fd - an) / (1e-3 + Math.abs(fd)));
        }
      }
      expect(worst).toBeLessThan(tolerance);
    });
  }

  it.each([
    ['hard tanh', 'tanh'],
    ['soft mixture', undefined],
  ])(
    'predicts what the reference runner predicts while τ is fixed: float64 exactly, compiled to float32 (%s)',
    (_, activation) => {
      const m = model(activation, 2);
      const exact = new TauAdapter(m, { lr: 0, kernels: 'float64' });
      const compiled = new TauAdapter(m, { lr: 0 });
      expect(compiled.options.kernels).toBe('compiled');
      const r = new ReferenceRunner(m, 1);
      const out = new Float64Array(2);
      const rng = new Rng(1);
      let worst = 0;
      for (let t = 0; t < 40; t++) {
        const x = Float64Array.of(rng.normal(), rng.normal());
        r.step(x, 0.5 + (t % 3) * 0.4, out);
        const target = Float64Array.of(0, 0);
        expect(Array.from(exact.observe(x, 0.5 + (t % 3) * 0.4, target).prediction)).toEqual(Array.from(out));
        const y = compiled.observe(x, 0.5 + (t % 3) * 0.4, target).prediction;
        for (let o = 0; o < 2; o++)
          worst = Math.max(worst, Math.abs(y[o]! - out[o]!) / (1 + Math.abs(out[o]!)));
      }
      expect(worst).toBeLessThan(1e-5);
      expect(worst, 'the compiled kernels store float32').toBeGreaterThan(0);
    },
  );
});
