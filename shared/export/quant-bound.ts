/**
 * How far quantised weights can move a model's outputs, derived from the quantisation step.
 *
 * To first order, Δy_t = Σ_w ∂y_t/∂w · Δw, and every |Δw| is at most the step bound s_w (half
 * an int8 step of its row, half an fp16 ulp), so
 *
 *     |Δy_t,j| ≤ Σ_w |∂y_t,j/∂w| · s_w       (+ second-order terms, O(s²))
 *
 * The sensitivities come from backpropagation through time on the full-precision model. This
 * is the tight worst case over every weight perturbation within the step; a rigorous
 * Lipschitz-style bound through a recurrent cell grows geometrically with the sequence and
 * says nothing useful after a few steps.
 */
import { isWeightMatrix } from '../model/layout.js';
import { cloneModel, type HybridModel } from '../model/model.js';
import { forwardOnTape, paramVars, selectorStates } from '../model/tape-forward.js';
import { Tape } from '../numeric/tape.js';
import type { QuantizedWeights } from './quantize-model.js';

/**
 * Per-step bound on max_j |y_q − y|_j over one sequence from a zero state.
 * inputs [T, inputs]; dts [T] (default: the model's dtDefault). Returns [T].
 * Cost: T forward/backward passes per output of up to T steps (use short probes).
 */
export function quantizationBound(
  model: HybridModel,
  qw: QuantizedWeights,
  inputs: Float64Array,
  dts?: Float64Array,
): Float64Array {
  const T = inputs.length / model.inputs;
  const work = cloneModel(model);
  const vars = paramVars(work);
  const selectors = selectorStates(work);
  const dt = dts ?? new Float64Array(T).fill(model.dtDefault);
  const matrices = [...vars.entries()].filter(([name]) => isWeightMatrix(name));
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < model.outputs; j++) {
      for (const v of vars.values()) v.zeroGrad();
      const tape = new Tape();
      const { outputs } = forwardOnTape(tape, work, vars, selectors, inputs, dt, 1, t + 1);
      const y = outputs[t]!;
      // seed dL/dy_t,j = 1 by hand: the loss is that one output
      tape.seed(y, j);
      let bound = 0;
      for (const [name, v] of matrices) {
        const s = qw.stepBound.get(name)!;
        const g = v.grad!;
        for (let i = 0; i < g.length; i++) bound += Math.abs(g[i]!) * s[i]!;
      }
      out[t] = Math.max(out[t]!, bound);
    }
  }
  return out;
}
