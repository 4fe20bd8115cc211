/**
 * A bound on how far a quantised model's outputs can move from the full-precision model's,
 * derived from the weight quantisation step and propagated along the reference trajectory:
 *
 *   |Δpre| ≤ |W_q|·|Δh| + |ΔW|·|h|          (|ΔW| ≤ the step bound, h from the fp model)
 *   |Δφ|   ≤ L·|Δpre|                        (L: Lipschitz bound of the layer's selector)
 *   |Δx'|  ≤ e·|Δx| + τ(1−e)·|Δφ|            (liquid step, e = exp(−Δt/τ))
 *   |Δy|   ≤ |W_q|·|Δh| + |ΔW|·|h|           (readout)
 *
 * Each inequality holds for any weights within the step, so the bound is rigorous given the
 * Lipschitz constants in the library metadata.
 */
import { tauFromRhoInto } from '../liquid/cell.js';
import { type HybridModel, layerCandidates, param } from '../model/model.js';
import { ReferenceRunner } from '../model/reference.js';
import { selectorWeightsInto } from '../model/selector.js';
import type { QuantizedWeights } from './quantize-model.js';

/** Lipschitz bound of a layer's φ: Σ_k w_k·|c_k·a_k|·L_k. */
function selectorLipschitz(model: HybridModel, i: number): number {
  const layer = model.layers[i]!;
  const entries = layerCandidates(model, layer);
  const w = new Float64Array(entries.length);
  const s = layer.selector;
  selectorWeightsInto(param(model, `L${i}.logits`), s.temperature, s.mode, s.chosen, w);
  const aff = param(model, `L${i}.affine`);
  let L = 0;
  entries.forEach((e, k) => {
    if (w[k] !== 0) L += w[k]! * Math.abs(aff[4 * k]! * aff[4 * k + 2]!) * e.meta.gradient.lipschitz;
  });
  return L;
}

/** out (+)= |A|·|v| for A [rows, cols]. */
function absMatVec(A: Float64Array, cols: number, v: Float64Array, out: Float64Array, accumulate: boolean): void {
  for (let r = 0; r < out.length; r++) {
    let s = accumulate ? out[r]! : 0;
    for (let c = 0; c < cols; c++) s += Math.abs(A[r * cols + c]!) * Math.abs(v[c]!);
    out[r] = s;
  }
}

/**
 * Per-step bound on max_j |y_q − y|_j over a sequence (batch 1, zero initial state).
 * inputs [T, inputs], dts [T] (default the model's dtDefault); returns [T].
 */
export function quantizationBound(
  model: HybridModel,
  qw: QuantizedWeights,
  inputs: Float64Array,
  dts?: Float64Array,
): Float64Array {
  const T = inputs.length / model.inputs;
  const qm = qw.model;
  const runner = new ReferenceRunner(model, 1);
  const y = new Float64Array(model.outputs);
  const lips = model.layers.map((_, i) => selectorLipschitz(qm, i));
  const taus = model.layers.map((l, i) => {
    if (l.kind !== 'liquid') return null;
    const t = new Float64Array(l.units);
    tauFromRhoInto(param(model, `L${i}.rho`), l.tauMin, l.tauMax, t);
    return t;
  });
  const dx = model.layers.map((l) => (l.kind === 'liquid' ? new Float64Array(l.units) : null));
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const dt = dts ? dts[t]! : model.dtDefault;
    const xin = inputs.subarray(t * model.inputs, (t + 1) * model.inputs);
    const before = model.layers.map((l, i) => (l.kind === 'liquid' ? runner.layerOutput(i).slice() : null));
    runner.step(xin, dt, y);
    let h: Float64Array = xin;
    let dh = new Float64Array(model.inputs);
    model.layers.forEach((layer, i) => {
      const p = `L${i}`;
      const inName = `${p}.${layer.kind === 'dense' ? 'W' : 'U'}`;
      const dpre = new Float64Array(layer.units);
      absMatVec(param(qm, inName), h.length, dh, dpre, false);
      absMatVec(qw.stepBound.get(inName)!, h.length, h, dpre, true);
      if (layer.kind === 'liquid') {
        absMatVec(param(qm, `${p}.W`), layer.units, dx[i]!, dpre, true);
        absMatVec(qw.stepBound.get(`${p}.W`)!, layer.units, before[i]!, dpre, true);
        const tau = taus[i]!;
        const d = dx[i]!;
        for (let r = 0; r < layer.units; r++) {
          const e = Math.exp(-dt / tau[r]!);
          d[r] = e * d[r]! + tau[r]! * (1 - e) * lips[i]! * dpre[r]!;
        }
        dh = d.slice();
      } else {
        for (let r = 0; r < layer.units; r++) dpre[r] = lips[i]! * dpre[r]!;
        dh = dpre;
      }
      h = runner.layerOutput(i);
    });
    const dy = new Float64Array(model.outputs);
    absMatVec(param(qm, 'readout.W'), h.length, dh, dy, false);
    absMatVec(qw.stepBound.get('readout.W')!, h.length, h, dy, true);
    out[t] = Math.max(...dy);
  }
  return out;
}
