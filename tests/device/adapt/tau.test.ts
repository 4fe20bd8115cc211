import { describe, expect, it } from 'vitest';
import { TauAdapter } from '../../../device/adapt/tau.js';
import { ModelError } from '../../../shared/errors.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { Rng } from '../../../shared/numeric/rng.js';

const model = (): HybridModel =>
  initModel({ library: classicLibrary(), inputs: 1, hidden: 4, outputs: 1, seed: 2, activation: 'tanh' });

describe('TauAdapter', () => {
  it('returns the prediction made before the target, then moves log τ by at most maxLogStep', () => {
    const a = new TauAdapter(model(), { warmupSteps: 0, lr: 10, maxLogStep: 0.02 });
    const b = new TauAdapter(model(), { lr: 0 });
    const rng = new Rng(3);
    let prev = a.tau;
    for (let t = 0; t < 50; t++) {
      const x = Float64Array.of(rng.normal());
      const pb = b.observe(x, 1, Float64Array.of(5)).prediction[0]!;
      const o = a.observe(x, 1, Float64Array.of(5));
      if (t === 0) expect(o.prediction[0]).toBe(pb); // same τ, same state: the target had no effect yet
      for (let j = 0; j < o.tau.length; j++) {
        expect(Math.abs(Math.log(o.tau[j]! / prev[j]!))).toBeLessThanOrEqual(0.02 + 1e-12);
        expect(o.tau[j]).toBeGreaterThanOrEqual(0.2);
        expect(o.tau[j]).toBeLessThanOrEqual(20);
      }
      prev = a.tau;
    }
    expect(Array.from(a.tau)).not.toEqual(Array.from(b.tau));
  });

  it('reverts to the last good τ when the smoothed error jumps, and reset() restores the model', () => {
    const m = model();
    const a = new TauAdapter(m, { warmupSteps: 0, guardSteps: 20, revertRatio: 0.5, emaRate: 0.2 });
    const initial = a.tau;
    // guard checks after steps 19, 39, …: the τ kept at each check is the last good τ
    const checked = new Map<number, number[]>();
    const reverts: number[] = [];
    for (let t = 0; t < 200; t++) {
      const target = t < 100 ? 0 : 50; // the error explodes at t = 100
      const o = a.observe(Float64Array.of(0.1), 1, Float64Array.of(target));
      if (o.reverted) {
        reverts.push(t);
        expect(Array.from(o.tau)).toEqual(checked.get(t - 20));
      }
      if ((t + 1) % 20 === 0) checked.set(t, Array.from(o.tau));
    }
    expect(reverts.filter((t) => t >= 100)).toEqual([119]); // then the new level is the baseline
    a.reset();
    expect(Array.from(a.tau)).toEqual(Array.from(initial));
    expect(Number.isNaN(a.smoothedError)).toBe(true);
  });

  it('predicts without learning on a NaN target, and refuses a model without liquid layers', () => {
    const a = new TauAdapter(model(), { warmupSteps: 0 });
    const before = a.tau;
    const o = a.observe(Float64Array.of(1), 1, Float64Array.of(Number.NaN));
    expect(Number.isFinite(o.prediction[0]!)).toBe(true);
    expect(Array.from(a.tau)).toEqual(Array.from(before));
    const m = model();
    const dense: HybridModel = { ...m, layers: [m.layers[0]!] };
    expect(() => new TauAdapter(dense)).toThrow(ModelError);
  });
});
