/**
 * The liquid hybrid's forward pass recorded on an autodiff tape, for training through time and
 * for sensitivities (the quantisation bound). It runs the same kernels as the reference runner
 * (selector mixture, liquid step), so the two cannot drift apart; a test checks they agree.
 */
import { compileActivation } from '../activations/index.js';
import { liquidStep } from '../liquid/cell-op.js';
import { add, addBias, matmulTransposedB, mulRow } from '../numeric/ops.js';
import { type Tape, Var } from '../numeric/tape.js';
import { type HybridModel, layerCandidates } from './model.js';
import { SelectorKernel } from './selector.js';
import { type SelectorState, selectorMix } from './selector-op.js';

/** Trainable Vars over the model's own parameter arrays (optimiser steps update the model). */
export function paramVars(model: HybridModel): Map<string, Var> {
  const vars = new Map<string, Var>();
  for (const [name, data] of model.params) {
    const shape =
      name.endsWith('.W') || name.endsWith('.U') ? matrixShape(model, name, data.length) : [data.length];
    vars.set(name, Var.param(data, shape, name));
  }
  return vars;
}

function matrixShape(model: HybridModel, name: string, size: number): number[] {
  const rows = name.startsWith('readout')
    ? model.outputs
    : model.layers[Number(name.slice(1, name.indexOf('.')))]!.units;
  return [rows, size / rows];
}

export interface TapeForward {
  /** Outputs per step, each [N, outputs]. */
  readonly outputs: Var[];
  /** Each layer's state after the last step, [N, units] (null for dense layers). */
  readonly states: (Var | null)[];
}

/** Selector kernels per layer, compiled once per model and reused across steps. */
export function selectorStates(model: HybridModel): SelectorState[] {
  return model.layers.map((layer) => ({
    kernel: new SelectorKernel(layerCandidates(model, layer).map((e) => compileActivation(e))),
    mode: layer.selector.mode,
    temperature: layer.selector.temperature,
    chosen: layer.selector.chosen,
  }));
}

/**
 * Run `steps` steps for a batch of N sequences, from a zero state or from `initial` (per layer
 * [N, units], a constant: truncated BPTT carries the state without its gradient).
 * inputs [N, T, inputs] row-major (batch-major, like the sequence graph); dts [N, T].
 */
export function forwardOnTape(
  tape: Tape,
  model: HybridModel,
  vars: Map<string, Var>,
  selectors: readonly SelectorState[],
  inputs: Float64Array,
  dts: Float64Array,
  N: number,
  steps: number,
  initial?: readonly (Float64Array | null)[],
): TapeForward {
  const T = dts.length / N;
  const states = model.layers.map((l, i) =>
    l.kind === 'liquid'
      ? Var.constant(initial?.[i]?.slice() ?? new Float64Array(N * l.units), [N, l.units])
      : null,
  );
  const outputs: Var[] = [];
  const dtRow = new Float64Array(N);
  const v = (name: string) => vars.get(name)!;
  for (let t = 0; t < steps; t++) {
    const x = new Float64Array(N * model.inputs);
    const sc = model.scaling;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < model.inputs; c++) {
        const raw = inputs[(n * T + t) * model.inputs + c]!;
        x[n * model.inputs + c] = sc ? (raw - sc.inputMean[c]!) / sc.inputStd[c]! : raw;
      }
      dtRow[n] = dts[n * T + t]!;
    }
    let h = Var.constant(x, [N, model.inputs], 'input');
    model.layers.forEach((layer, i) => {
      const p = `L${i}`;
      if (layer.kind === 'dense') {
        const pre = addBias(tape, matmulTransposedB(tape, h, v(`${p}.W`)), v(`${p}.b`));
        h = selectorMix(tape, pre, v(`${p}.logits`), v(`${p}.affine`), selectors[i]!);
        return;
      }
      const prev = states[i]!;
      const rec = matmulTransposedB(tape, prev, v(`${p}.W`));
      const pre = addBias(tape, add(tape, rec, matmulTransposedB(tape, h, v(`${p}.U`))), v(`${p}.b`));
      const phi = selectorMix(tape, pre, v(`${p}.logits`), v(`${p}.affine`), selectors[i]!);
      const next = liquidStep(tape, prev, phi, v(`${p}.rho`), dtRow.slice(), layer.tauMin, layer.tauMax);
      states[i] = next;
      h = next;
    });
    let y = addBias(tape, matmulTransposedB(tape, h, v('readout.W')), v('readout.b'));
    if (model.residualInput !== undefined) {
      const skip = new Float64Array(N * model.outputs);
      for (let n = 0; n < N; n++)
        skip.fill(x[n * model.inputs + model.residualInput]!, n * model.outputs, (n + 1) * model.outputs);
      y = add(tape, y, Var.constant(skip, [N, model.outputs]));
    }
    if (sc) {
      const std = Var.constant(Float64Array.from(sc.outputStd), [model.outputs]);
      y = addBias(
        tape,
        mulRow(tape, y, std),
        Var.constant(Float64Array.from(sc.outputMean), [model.outputs]),
      );
    }
    outputs.push(y);
  }
  return { outputs, states };
}
