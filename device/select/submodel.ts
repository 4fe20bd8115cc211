/**
 * Slices of a liquid hybrid run on their own, so a candidate for layer i only recomputes
 * layers i..L-1. A layer's input sequence does not depend on the layers after it (liquid layers
 * recur only within themselves), so layer i's input, cached from the current model, is exact.
 *
 * A slice is an ordinary HybridModel run by the float64 ReferenceRunner: no scaling, no
 * residual, each layer hard on one entry with one affine row (or the model's soft mixture), and
 * a readout that exposes the last layer's activations (identity for a dense last layer; a
 * liquid last layer is read straight from the runner's state). Tensors are shared, not copied.
 */

import type { HybridModel } from '../../shared/model/model.js';
import { param } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import type { LayerSpec } from '../../shared/types/model.js';
import type { SequenceSet } from './buffer.js';

/** One layer's activation: candidate index and its affine (a, b, c, d), or the model's mixture. */
export type LayerChoice = { readonly k: number; readonly affine: Float64Array } | 'soft';

/** Layers [from, to) of `model` as a stand-alone model; choices[j] is layer j's activation. */
export function sliceModel(
  model: HybridModel,
  from: number,
  to: number,
  choices: readonly LayerChoice[],
): HybridModel {
  const params = new Map<string, Float64Array>();
  const layers: LayerSpec[] = [];
  for (let i = from; i < to; i++) {
    const spec = model.layers[i]!;
    const p = `L${i}`;
    const q = `L${i - from}`;
    const names = spec.kind === 'dense' ? ['W', 'b'] : ['W', 'U', 'b', 'rho'];
    for (const f of names) params.set(`${q}.${f}`, param(model, `${p}.${f}`));
    const c = choices[i]!;
    if (c === 'soft') {
      layers.push({ ...spec, selector: { ...spec.selector, mode: 'soft' } });
      params.set(`${q}.logits`, param(model, `${p}.logits`));
      params.set(`${q}.affine`, param(model, `${p}.affine`));
    } else {
      const selector = {
        ...spec.selector,
        candidates: [spec.selector.candidates[c.k]!],
        mode: 'hard' as const,
      };
      layers.push({ ...spec, selector: { ...selector, chosen: 0 } });
      params.set(`${q}.logits`, new Float64Array(1));
      params.set(`${q}.affine`, c.affine);
    }
  }
  const last = layers[layers.length - 1]!;
  const outputs = last.kind === 'dense' ? last.units : 1;
  const readout = new Float64Array(outputs * last.units);
  if (last.kind === 'dense') for (let r = 0; r < outputs; r++) readout[r * last.units + r] = 1;
  params.set('readout.W', readout);
  params.set('readout.b', new Float64Array(outputs));
  return {
    inputs: from === 0 ? model.inputs : model.layers[from - 1]!.units,
    outputs,
    layers,
    dtDefault: model.dtDefault,
    seed: model.seed,
    library: model.library,
    params,
  };
}

/**
 * Run a slice over every stream of `set`: input [T, N, slice.inputs] → out [T, N, last units]
 * (the last layer's activations at every step), each stream starting from initialState
 * [N, slice state width] (default zero). Allocates only the runner.
 */
export function runSlice(
  slice: HybridModel,
  set: SequenceSet,
  input: Float64Array,
  out: Float64Array,
  initialState?: Float64Array,
): void {
  const N = set.streams;
  const w = slice.inputs;
  const last = slice.layers[slice.layers.length - 1]!;
  const units = last.units;
  const runner = new ReferenceRunner(slice, N);
  const y = new Float64Array(N * slice.outputs);
  const sw = runner.stateWidth;
  const off = sw - units;
  const state = runner.state;
  if (initialState) state.set(initialState);
  for (let t = 0; t < set.steps; t++) {
    runner.step(input.subarray(t * N * w, (t + 1) * N * w), set.dt.subarray(t * N, (t + 1) * N), y);
    const o = t * N * units;
    if (last.kind === 'dense') out.set(y, o);
    else
      for (let n = 0; n < N; n++) out.set(state.subarray(n * sw + off, n * sw + off + units), o + n * units);
  }
}

/** Inputs as the network sees them: standardised when the model has a scaling. [rows, inputs] */
export function scaledInputs(model: HybridModel, raw: Float64Array): Float64Array {
  const x = raw.slice();
  const sc = model.scaling;
  if (!sc) return x;
  const m = model.inputs;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - sc.inputMean[i % m]!) / sc.inputStd[i % m]!;
  return x;
}

/**
 * Targets in the readout's own units (what W·h + b must produce): standardised by the output
 * scaling, minus the residual input when the model has one. [T, N, outputs]
 */
export function readoutTargets(model: HybridModel, set: SequenceSet, xs: Float64Array): Float64Array {
  const z = set.y.slice();
  const sc = model.scaling;
  const out = model.outputs;
  const rows = set.steps * set.streams;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < out; j++) {
      let v = z[r * out + j]!;
      if (sc) v = (v - sc.outputMean[j]!) / sc.outputStd[j]!;
      if (model.residualInput !== undefined) v -= xs[r * model.inputs + model.residualInput]!;
      z[r * out + j] = v;
    }
  }
  return z;
}

/**
 * The liquid state each stream starts from: the state the model (with `choices`) reaches when it
 * runs the whole buffer as one continuous sequence from zero, taken at each stream's first row.
 * A stream cut from the middle of the history then starts where the device really was.
 * history: scaled inputs [rows, inputs] and dt [rows]; returns [N, state width].
 */
export function carriedStates(
  model: HybridModel,
  choices: readonly LayerChoice[],
  history: { x: Float64Array; dt: Float64Array },
  begins: Int32Array,
): Float64Array {
  const slice = sliceModel(model, 0, model.layers.length, choices);
  const runner = new ReferenceRunner(slice, 1);
  const sw = runner.stateWidth;
  const out = new Float64Array(begins.length * sw);
  const y = new Float64Array(slice.outputs);
  const w = model.inputs;
  const last = begins.reduce((m, b) => Math.max(m, b), 0);
  for (let r = 0; r <= last; r++) {
    begins.forEach((b, n) => {
      if (b === r) out.set(runner.state, n * sw);
    });
    if (r < last) runner.step(history.x.subarray(r * w, (r + 1) * w), history.dt[r]!, y);
  }
  return out;
}
