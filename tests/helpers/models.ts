/** Small seeded models for tests. */
import {
  type ActivationEntry,
  buildEntry,
  fitChebyshev,
  fitRationalFunction,
} from '../../shared/activations/index.js';
import { classicLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import type { HybridModel } from '../../shared/model/model.js';
import { Rng } from '../../shared/numeric/rng.js';

export function tinyModel(
  opts: { activation?: string; seed?: number; hidden?: number; liquidLayers?: number } = {},
): HybridModel {
  return initModel({
    library: classicLibrary(),
    inputs: 3,
    hidden: opts.hidden ?? 6,
    outputs: 2,
    seed: opts.seed ?? 7,
    liquidLayers: opts.liquidLayers ?? 1,
    ...(opts.activation ? { activation: opts.activation } : {}),
  });
}

/** Inputs ~ U(-2, 2), [T, n]. */
export function randomInputs(seed: number, T: number, n: number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(T * n);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-2, 2);
  return x;
}

/** Give soft selectors distinct, non-uniform weights (untrained logits are all zero). */
export function perturbLogits(model: HybridModel, seed: number): void {
  const rng = new Rng(seed);
  model.layers.forEach((_, i) => {
    const l = model.params.get(`L${i}.logits`)!;
    for (let k = 0; k < l.length; k++) l[k] = rng.uniform(-1, 1);
  });
}

/** One entry of each non-classic form, with every tail policy represented. */
export function entriesOfEveryForm(): ActivationEntry[] {
  const provenance = { source: 'user' as const };
  const natural = { a: 1, b: 0, c: 1, d: 0 };
  const bessel = (z: number) => {
    // J0(3z) by its series: a shape in no candidate list
    let s = 0;
    let term = 1;
    const x = (3 * z) / 2;
    for (let k = 0; k < 30; k++) {
      if (k > 0) term *= -(x * x) / (k * k);
      s += term;
    }
    return s;
  };
  return [
    buildEntry({
      name: 'sym_sin',
      form: 'symbolic',
      params: { fn: 'sin', alpha: 2, beta: 0.3, gamma: 1, delta: 0 },
      tail: 'linear',
      natural,
      provenance,
    }),
    buildEntry({
      name: 'cheb_j0',
      form: 'chebyshev',
      params: fitChebyshev(bessel, { tol: 1e-6 }).params,
      tail: 'constant',
      natural,
      provenance,
    }),
    buildEntry({
      name: 'rat_tanh',
      form: 'rational',
      params: fitRationalFunction((z) => Math.tanh(3 * z) / Math.tanh(3)).params,
      tail: 'linear',
      natural,
      provenance,
    }),
  ];
}
