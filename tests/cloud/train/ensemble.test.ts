import { describe, expect, it } from 'vitest';
import { mergeEnsemble } from '../../../cloud/train/ensemble.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { cloneModel, type HybridModel, param } from '../../../shared/model/model.js';
import { ReferenceRunner } from '../../../shared/model/reference.js';
import { Rng } from '../../../shared/numeric/rng.js';

const INPUTS = 5;
const OUTPUTS = 3;

/**
 * A hard tanh model with random weights everywhere (init leaves some tensors at zero), its own
 * input scaling, and its own chosen affine in every layer, but for the liquid layers' d/c, which
 * members share (0.3).
 */
function member(seed: number, liquidLayers = 2): HybridModel {
  const m = initModel({
    library: classicLibrary(),
    inputs: INPUTS,
    hidden: 4,
    outputs: OUTPUTS,
    seed,
    activation: 'tanh',
    liquidLayers,
  });
  const rng = new Rng(seed + 100);
  const out = cloneModel(m, {
    scaling: {
      inputMean: Array.from({ length: INPUTS }, () => rng.uniform(-1, 1)),
      inputStd: Array.from({ length: INPUTS }, () => rng.uniform(0.5, 2)),
      outputMean: new Array<number>(OUTPUTS).fill(0),
      outputStd: new Array<number>(OUTPUTS).fill(1),
    },
  });
  for (const [name, t] of out.params) {
    if (name.endsWith('.logits') || name.endsWith('.affine')) continue;
    for (let i = 0; i < t.length; i++) t[i] = rng.uniform(-0.8, 0.8);
  }
  out.layers.forEach((l, i) => {
    const row = param(out, `L${i}.affine`).subarray(4 * l.selector.chosen!, 4 * l.selector.chosen! + 4);
    const c = rng.uniform(0.5, 1.5);
    row.set([
      rng.uniform(0.5, 1.5),
      rng.uniform(-0.3, 0.3),
      c,
      l.kind === 'liquid' ? 0.3 * c : rng.uniform(-0.3, 0.3),
    ]);
  });
  return out;
}

/** Outputs [steps, outputs] of `m` over `x` [steps, inputs], from a zero state, varying Δt. */
function run(m: HybridModel, x: Float64Array, steps: number): Float64Array {
  const r = new ReferenceRunner(m, 1);
  const out = new Float64Array(steps * OUTPUTS);
  const y = new Float64Array(OUTPUTS);
  for (let t = 0; t < steps; t++) {
    r.step(x.subarray(t * INPUTS, (t + 1) * INPUTS), 0.5 + (t % 3) * 0.4, y);
    out.set(y, t * OUTPUTS);
  }
  return out;
}

describe('ensemble merge', () => {
  it('computes the mean of its members at every step, through dense and stacked liquid layers, each with its own affine', () => {
    const members = [member(1), member(2), member(3)];
    const merged = mergeEnsemble(members);
    expect(merged.layers.map((l) => l.units)).toEqual([12, 12, 12]);
    const rng = new Rng(9);
    const steps = 25;
    const x = Float64Array.from({ length: steps * INPUTS }, () => rng.uniform(-3, 3));
    const got = run(merged, x, steps);
    const want = new Float64Array(steps * OUTPUTS);
    for (const m of members) {
      const y = run(m, x, steps);
      for (let i = 0; i < y.length; i++) want[i] = want[i]! + y[i]! / members.length;
    }
    for (let i = 0; i < want.length; i++) expect(got[i]!).toBeCloseTo(want[i]!, 12);
    // and the members' outputs really differ, so the mean is not any one of them
    const first = run(members[0]!, x, steps);
    expect(Math.max(...first.map((v, i) => Math.abs(v - want[i]!)))).toBeGreaterThan(0.01);
  });

  it('returns a single member as it is, and refuses members it cannot merge exactly, naming why', () => {
    const a = member(1);
    expect(mergeEnsemble([a])).toBe(a);
    expect(() => mergeEnsemble([])).toThrow(/at least one member/);
    expect(() => mergeEnsemble([a, member(2, 1)])).toThrow(/member 1 has 2 layers, member 0 3/);
    const b = member(2);
    param(b, 'L1.affine')[4 * b.layers[1]!.selector.chosen! + 3] = 0.1;
    expect(() => mergeEnsemble([a, b])).toThrow(
      /layer 1 \(liquid\): member 1's output shift d\/c = .* differs from member 0's 0.3.*freezeAffine 'liquid-output'/,
    );
    const soft = cloneModel(member(3), {
      layers: a.layers.map((l) => ({ ...l, selector: { ...l.selector, mode: 'soft' as const } })),
    });
    expect(() => mergeEnsemble([a, soft])).toThrow(/selectors must be hard/);
  });
});
