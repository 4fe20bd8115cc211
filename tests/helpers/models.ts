/** Small seeded models for tests. */
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
