/**
 * Reduced-precision weights for export, and what they cost. Only weight matrices are stored at
 * fp16 or int8 (they are almost all of the bytes); biases, τ, selector weights and affines stay
 * float32. The dequantized model is what the ONNX file computes, so it is also the TypeScript
 * reference for parity checks.
 */

import { isWeightMatrix, parameterLayout } from '../model/layout.js';
import { cloneModel, type HybridModel } from '../model/model.js';
import { roundToFloat16 } from '../onnx/float16.js';
import { dequantize, type QuantizedMatrix, quantizePerChannel } from '../onnx/quantize.js';
import type { Quantization } from '../types/profile.js';

export interface QuantizedWeights {
  readonly quant: Quantization;
  /** The model with every weight matrix replaced by the values the ONNX file decodes to. */
  readonly model: HybridModel;
  /** int8 only: the per-channel quantisation of each matrix, by tensor name. */
  readonly int8: ReadonlyMap<string, QuantizedMatrix>;
  /** Per-element bound on |W_q − W| derived from the quantisation step, by tensor name. */
  readonly stepBound: ReadonlyMap<string, Float64Array>;
  /** Each weight matrix's stored precision (an int8 export may keep some at fp16). */
  readonly precision: ReadonlyMap<string, Quantization>;
}

const HALF_ULP_FP16 = 2 ** -11;

/**
 * @param fp16 - for int8: matrices kept at fp16 instead (mixed-precision.ts picks them when
 *   int8 would cost too much accuracy)
 */
export function quantizeWeights(
  model: HybridModel,
  quant: Quantization,
  fp16: ReadonlySet<string> = new Set(),
): QuantizedWeights {
  const q = cloneModel(model);
  const int8 = new Map<string, QuantizedMatrix>();
  const stepBound = new Map<string, Float64Array>();
  const precision = new Map<string, Quantization>();
  for (const t of parameterLayout(model)) {
    if (!isWeightMatrix(t.name)) continue;
    const w = model.params.get(t.name)!;
    const [rows, cols] = t.shape as [number, number];
    const bound = new Float64Array(w.length);
    const p: Quantization = quant === 'int8' && fp16.has(t.name) ? 'fp16' : quant;
    precision.set(t.name, p);
    if (p === 'int8') {
      const m = quantizePerChannel(w, rows, cols);
      int8.set(t.name, m);
      q.params.set(t.name, Float64Array.from(dequantize(m)));
      for (let r = 0; r < rows; r++) bound.fill(m.scales[r]! / 2, r * cols, (r + 1) * cols);
    } else if (p === 'fp16') {
      q.params.set(t.name, Float64Array.from(roundToFloat16(w)));
      // round-to-nearest half: relative error ≤ 2^-11 in the normal range, 2^-25 absolute below it
      for (let i = 0; i < w.length; i++) bound[i] = Math.max(Math.abs(w[i]!) * HALF_ULP_FP16, 2 ** -25);
    } else {
      q.params.set(t.name, Float64Array.from(Float32Array.from(w)));
      for (let i = 0; i < w.length; i++) bound[i] = Math.abs(w[i]!) * 2 ** -24;
    }
    stepBound.set(t.name, bound);
  }
  return { quant, model: q, int8, stepBound, precision };
}
