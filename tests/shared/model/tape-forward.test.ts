import { describe, expect, it } from 'vitest';
import { ReferenceRunner } from '../../../shared/model/reference.js';
import { forwardOnTape, paramVars, selectorStates } from '../../../shared/model/tape-forward.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { mseLoss } from '../../../shared/numeric/ops.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';
import { perturbLogits, randomInputs, tinyModel } from '../../helpers/models.js';

describe('model forward on the autodiff tape', () => {
  it('gives the reference runner’s outputs for a batch with variable Δt', () => {
    const model = { ...tinyModel({ liquidLayers: 2, seed: 4 }), residualInput: 2 };
    perturbLogits(model, 8);
    const N = 3;
    const T = 12;
    const x = randomInputs(5, N * T, model.inputs); // [N, T, inputs]
    const rng = new Rng(6);
    const dts = new Float64Array(N * T).map(() => rng.uniform(0.1, 2));
    const tape = new Tape();
    const { outputs } = forwardOnTape(tape, model, paramVars(model), selectorStates(model), x, dts, N, T);
    for (let n = 0; n < N; n++) {
      const r = new ReferenceRunner(model, 1);
      const y = new Float64Array(model.outputs);
      for (let t = 0; t < T; t++) {
        r.step(x.subarray((n * T + t) * model.inputs, (n * T + t + 1) * model.inputs), dts[n * T + t]!, y);
        for (let j = 0; j < model.outputs; j++) {
          expect(outputs[t]!.data[n * model.outputs + j]).toBeCloseTo(y[j]!, 12);
        }
      }
    }
  });

  it('backpropagates through time: every parameter’s gradient matches finite differences', () => {
    const model = tinyModel({ seed: 2, hidden: 4 });
    perturbLogits(model, 3);
    const N = 2;
    const T = 5;
    const x = randomInputs(9, N * T, model.inputs);
    const dts = new Float64Array(N * T).fill(0.7);
    const target = Var.constant(randomInputs(10, N, model.outputs), [N, model.outputs]);
    const vars = paramVars(model);
    const selectors = selectorStates(model);
    const r = gradcheck(
      (tape) => {
        const { outputs } = forwardOnTape(tape, model, vars, selectors, x, dts, N, T);
        return mseLoss(tape, outputs[T - 1]!, target);
      },
      [...vars.values()],
      { rtol: 1e-4, atol: 1e-7 },
    );
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });
});
