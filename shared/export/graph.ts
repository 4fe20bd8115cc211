/**
 * ONNX graphs of a liquid hybrid. One emitter writes a single step (dense layers, liquid
 * layers, readout); the step graph calls it once on graph inputs, the sequence graph calls it
 * inside a Scan body over a batch-major window. Weights are initializers of the main graph
 * (the Scan body reads them from the outer scope), so both files hold one copy of each.
 *
 * Step graph:      input [N, in], state [N, H], dt [N, 1], tau [H] (default: the trained τ)
 *                  → output [N, out], state_out [N, H]
 * Sequence graph:  input [N, T, in], state [N, H], dt [N, T, 1], tau [H]
 *                  → output [N, T, out], state_out [N, H]
 */
import { emitActivation } from '../activations/index.js';
import { tauFromRhoInto } from '../liquid/cell.js';
import { stateWidth } from '../model/layout.js';
import { type HybridModel, layerCandidates, param } from '../model/model.js';
import { selectorWeightsInto } from '../model/selector.js';
import { toFloat16 } from '../onnx/float16.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { type GraphScope, OnnxModelBuilder } from '../onnx/model-builder.js';
import { emitFloat16Weight, emitInt8Weight } from '../onnx/quantize.js';
import type { QuantizedWeights } from './quantize-model.js';

/** Names of the model's weights once they are in the main graph (float32 tensors). */
type WeightNames = Map<string, string>;

export interface StepIo {
  readonly input: string;
  readonly state: string | null;
  readonly dt: string;
  readonly tau: string | null;
}

export interface IoSpec {
  readonly name: string;
  readonly dims: (number | string)[];
}

function emitWeights(g: GraphScope, model: HybridModel, qw: QuantizedWeights): WeightNames {
  const names: WeightNames = new Map();
  model.layers.forEach((layer, i) => {
    const p = `L${i}`;
    const mats = layer.kind === 'dense' ? ['W'] : ['W', 'U'];
    for (const m of mats) names.set(`${p}.${m}`, emitMatrix(g, qw, `${p}.${m}`, layer.units));
    names.set(`${p}.b`, g.initializerF32(param(model, `${p}.b`), [layer.units], `${p}b`));
  });
  names.set('readout.W', emitMatrix(g, qw, 'readout.W', model.outputs));
  names.set('readout.b', g.initializerF32(param(model, 'readout.b'), [model.outputs], 'rb'));
  return names;
}

function emitMatrix(g: GraphScope, qw: QuantizedWeights, name: string, rows: number): string {
  const w = param(qw.model, name);
  const cols = w.length / rows;
  const hint = name
    .replace('readout.', 'r')
    .replace(/^L(\d+)\./, 'l$1')
    .toLowerCase();
  const precision = qw.precision.get(name);
  if (precision === 'int8') return emitInt8Weight(g, qw.int8.get(name)!, hint);
  if (precision === 'fp16') return emitFloat16Weight(g, toFloat16(w), [rows, cols], hint);
  return g.initializerF32(w, [rows, cols], hint);
}

/** φ of layer i applied to the tensor `pre`: the hard choice, or the weighted soft mixture. */
function emitSelector(g: GraphBuilder, model: HybridModel, i: number, pre: string): string {
  const layer = model.layers[i]!;
  const entries = layerCandidates(model, layer);
  const aff = param(model, `L${i}.affine`);
  const w = new Float64Array(entries.length);
  const s = layer.selector;
  selectorWeightsInto(param(model, `L${i}.logits`), s.temperature, s.mode, s.chosen, w);
  let sum: string | null = null;
  entries.forEach((entry, k) => {
    if (w[k] === 0) return;
    const affine = { a: aff[4 * k]!, b: aff[4 * k + 1]!, c: aff[4 * k + 2]!, d: aff[4 * k + 3]! };
    let y = emitActivation(g, pre, entry, affine);
    if (w[k] !== 1) y = g.node('Mul', [y, g.scalar(w[k]!)]);
    sum = sum === null ? y : g.node('Add', [sum, y]);
  });
  return sum!;
}

/**
 * One step of the model into builder g; returns the output and new-state tensor names.
 * Liquid update as x' = τφ + e·(x − τφ) with e = exp(Δt·(−1/τ)), τ clipped into its band.
 */
function emitStep(
  g: GraphScope,
  model: HybridModel,
  weights: WeightNames,
  io: StepIo,
): { output: string; state: string | null } {
  const H = stateWidth(model);
  const sc = model.scaling;
  const xin = sc
    ? g.node('Div', [
        g.node('Sub', [io.input, g.constant(sc.inputMean, [model.inputs])]),
        g.constant(sc.inputStd, [model.inputs]),
      ])
    : io.input;
  let h = xin;
  let offset = 0;
  const states: string[] = [];
  model.layers.forEach((layer, i) => {
    const p = `L${i}`;
    if (layer.kind === 'dense') {
      const pre = g.node('Gemm', [h, weights.get(`${p}.W`)!, weights.get(`${p}.b`)!], { transB: { i: 1 } });
      h = emitSelector(g, model, i, pre);
      return;
    }
    const slice = (t: string, axis: number) =>
      layer.units === H
        ? t
        : g.node('Slice', [
            t,
            g.initializerI64([offset], [1]),
            g.initializerI64([offset + layer.units], [1]),
            g.initializerI64([axis], [1]),
          ]);
    const x = slice(io.state!, 1);
    const tauRaw = slice(io.tau!, 0);
    const tau = g.node('Clip', [tauRaw, g.scalar(layer.tauMin), g.scalar(layer.tauMax)]);
    const rec = g.node('Gemm', [x, weights.get(`${p}.W`)!, weights.get(`${p}.b`)!], { transB: { i: 1 } });
    const pre = g.node('Gemm', [h, weights.get(`${p}.U`)!, rec], { transB: { i: 1 } });
    const phi = emitSelector(g, model, i, pre);
    const negInvTau = g.node('Div', [g.scalar(-1), tau]);
    const e = g.node('Exp', [g.node('Mul', [io.dt, negInvTau])]);
    const tp = g.node('Mul', [tau, phi]);
    const next = g.node('Add', [tp, g.node('Mul', [e, g.node('Sub', [x, tp])])]);
    states.push(next);
    h = next;
    offset += layer.units;
  });
  let output = g.node('Gemm', [h, weights.get('readout.W')!, weights.get('readout.b')!], {
    transB: { i: 1 },
  });
  if (model.residualInput !== undefined) {
    const k = model.residualInput;
    const column = g.node('Slice', [
      xin,
      g.initializerI64([k], [1]),
      g.initializerI64([k + 1], [1]),
      g.initializerI64([1], [1]),
    ]);
    output = g.node('Add', [output, column]);
  }
  if (sc) {
    output = g.node('Add', [
      g.node('Mul', [output, g.constant(sc.outputStd, [model.outputs])]),
      g.constant(sc.outputMean, [model.outputs]),
    ]);
  }
  const state =
    states.length === 0
      ? null
      : states.length === 1
        ? states[0]!
        : g.node('Concat', states, { axis: { i: 1 } });
  return { output, state };
}

export function defaultTau(model: HybridModel): { tau: Float64Array; min: number[]; max: number[] } {
  const tau = new Float64Array(stateWidth(model));
  const min: number[] = [];
  const max: number[] = [];
  let off = 0;
  model.layers.forEach((l, i) => {
    if (l.kind !== 'liquid') return;
    tauFromRhoInto(param(model, `L${i}.rho`), l.tauMin, l.tauMax, tau.subarray(off, off + l.units));
    for (let k = 0; k < l.units; k++) {
      min.push(l.tauMin);
      max.push(l.tauMax);
    }
    off += l.units;
  });
  return { tau, min, max };
}

export interface BuiltGraph {
  readonly bytes: Uint8Array;
  readonly inputs: IoSpec[];
  readonly outputs: IoSpec[];
}

function declareCommon(g: OnnxModelBuilder, model: HybridModel, sequence: boolean) {
  const H = stateWidth(model);
  const inputs: IoSpec[] = [];
  const add = (name: string, dims: (number | string)[]) => {
    g.input(name, 'float32', dims);
    inputs.push({ name, dims });
    return name;
  };
  const input = add('input', sequence ? ['N', 'T', model.inputs] : ['N', model.inputs]);
  const state = H > 0 ? add('state', ['N', H]) : null;
  const dt = add('dt', sequence ? ['N', 'T', 1] : ['N', 1]);
  let tau: string | null = null;
  if (H > 0) {
    tau = g.inputWithDefault('tau', defaultTau(model).tau, [H]);
    inputs.push({ name: 'tau', dims: [H] });
  }
  return { inputs, io: { input, state, dt, tau } };
}

export function buildStepGraph(model: HybridModel, qw: QuantizedWeights): BuiltGraph {
  const g = new OnnxModelBuilder({ graphName: 'lkan_step', docString: 'liquidkan hybrid, one step' });
  const { inputs, io } = declareCommon(g, model, false);
  const weights = emitWeights(g, model, qw);
  const r = emitStep(g, model, weights, io);
  const H = stateWidth(model);
  const outputs: IoSpec[] = [{ name: 'output', dims: ['N', model.outputs] }];
  g.output('output', 'float32', outputs[0]!.dims, r.output);
  if (r.state) {
    outputs.push({ name: 'state_out', dims: ['N', H] });
    g.output('state_out', 'float32', ['N', H], r.state);
  }
  return { bytes: g.toBytes(), inputs, outputs };
}

export function buildSequenceGraph(model: HybridModel, qw: QuantizedWeights): BuiltGraph {
  const g = new OnnxModelBuilder({
    graphName: 'lkan_sequence',
    docString: 'liquidkan hybrid, Scan over a window',
  });
  const { inputs, io } = declareCommon(g, model, true);
  const weights = emitWeights(g, model, qw);
  const H = stateWidth(model);
  const body = g.subgraph('lkan_body');
  const bState = H > 0 ? body.input('s_in', 'float32', ['N', H]) : null;
  const bInput = body.input('x_t', 'float32', ['N', model.inputs]);
  const bDt = body.input('dt_t', 'float32', ['N', 1]);
  const r = emitStep(body, model, weights, { input: bInput, state: bState, dt: bDt, tau: io.tau });
  if (r.state) body.output('s_out', 'float32', ['N', H], r.state);
  body.output('y_t', 'float32', ['N', model.outputs], r.output);
  const scanInputs = [...(io.state ? [io.state] : []), io.input, io.dt];
  const outs = g.nodeMulti('Scan', scanInputs, H > 0 ? 2 : 1, {
    body: { graph: body.finish() },
    num_scan_inputs: { i: 2 },
    scan_input_axes: { ints: [1, 1] },
    scan_output_axes: { ints: [1] },
  });
  const outputs: IoSpec[] = [{ name: 'output', dims: ['N', 'T', model.outputs] }];
  g.output('output', 'float32', outputs[0]!.dims, outs[outs.length - 1]!);
  if (H > 0) {
    outputs.push({ name: 'state_out', dims: ['N', H] });
    g.output('state_out', 'float32', ['N', H], outs[0]!);
  }
  return { bytes: g.toBytes(), inputs, outputs };
}
