import { describe, expect, it } from 'vitest';
import { CompiledForward } from '../../../device/select/compiled-forward.js';
import { FastForward } from '../../../device/select/forward.js';
import { type LayerChoice, runSlice, scaledInputs, sliceModel } from '../../../device/select/submodel.js';
import { driveInputs, selectionLibrary, teacherBuffer } from '../../../scripts/bench-select.js';
import { initModel } from '../../../shared/model/init.js';
import { perturbLogits } from '../../helpers/models.js';

describe('FastForward and CompiledForward', () => {
  it('match the reference runner for hard, natural-affine and soft choices', () => {
    const library = selectionLibrary(16);
    const model = initModel({
      library,
      inputs: 3,
      hidden: 7,
      outputs: 2,
      seed: 3,
      denseLayers: 2,
      liquidLayers: 2,
    });
    perturbLogits(model, 9);
    const set = teacherBuffer(model, driveInputs(1, 300, 3)).sequences();
    const xs = scaledInputs(model, set.x);
    const init = Float64Array.from({ length: set.streams * 14 }, (_, i) => Math.sin(i));
    const aff = (i: number, k: number) => model.params.get(`L${i}.affine`)!.slice(4 * k, 4 * k + 4);
    const current: LayerChoice[] = [
      { k: 3, affine: aff(0, 3) },
      'soft',
      // an entry that keeps the liquid layers contractive: in a chaotic one (k 12, cos) float32
      // and float64 trajectories part, however right both are
      { k: 8, affine: aff(2, 8) },
      { k: 7, affine: aff(3, 7) },
    ];
    // float64 follows the reference's arithmetic; the compiled kernels store float32
    for (const [Forward, tolerance] of [
      [FastForward, 1e-10],
      [CompiledForward, 1e-4],
    ] as const) {
      const ff = new Forward(model, set, xs, current, init);
      const ref = new Float64Array(set.steps * set.streams * 7);
      for (let i = 0; i < 4; i++) {
        for (const choice of [{ k: 14, affine: Float64Array.of(0.7, 0.1, 1.2, -0.1) }, 'soft'] as const) {
          const fast = ff.evaluate(i, choice);
          const choices = current.slice();
          choices[i] = choice;
          runSlice(sliceModel(model, 0, 4, choices), set, xs, ref, init);
          let err = 0;
          let scale = 0;
          for (let j = 0; j < ref.length; j++) {
            err = Math.max(err, Math.abs(fast[j]! - ref[j]!));
            scale = Math.max(scale, Math.abs(ref[j]!));
          }
          expect(err, `${Forward.name}, layer ${i}`).toBeLessThan(tolerance * Math.max(1, scale));
          if (Forward === CompiledForward) expect(err, 'float32, not float64').toBeGreaterThan(0);
        }
      }
      // a new current choice is picked up from the layer it changed
      const next = current.slice();
      next[1] = { k: 5, affine: aff(1, 5) };
      ff.setCurrent(next, 1);
      const fast = ff.evaluate(3, current[3]!);
      runSlice(sliceModel(model, 0, 4, next), set, xs, ref, init);
      let err = 0;
      for (let j = 0; j < ref.length; j++) err = Math.max(err, Math.abs(fast[j]! - ref[j]!));
      expect(err, `${Forward.name} after setCurrent`).toBeLessThan(tolerance * 10);
    }
  });
});
