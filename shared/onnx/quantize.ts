/**
 * Weight storage at reduced precision, and the ONNX nodes that expand it back to float32.
 *
 * int8 uses symmetric per-output-channel quantisation in QDQ form (DequantizeLinear on a
 * constant), which every ONNX runtime can execute, fused or not: for W of shape [out, in],
 * scale_r = max_j |W[r, j]| / 127 and q = round(W / scale_r) in -127..127, zero point 0.
 * Keeping -128 unused makes the range symmetric, so negating a row never saturates.
 *
 * fp16 stores FLOAT16 initializers followed by Cast(to=FLOAT): compute stays float32, which keeps
 * the device and cloud outputs comparable while halving the file.
 */

import { ShapeError } from '../errors.js';
import { DATA_TYPE } from './data-type.js';
import type { GraphScope } from './model-builder.js';

/** A per-channel (axis 0) symmetric int8 quantisation of a [rows, cols] matrix. */
export interface QuantizedMatrix {
  /** int8 values, row-major [rows, cols]. */
  readonly values: Int8Array;
  /** float32 scale per row, [rows]. */
  readonly scales: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Largest int8 magnitude used; -128 is left out so the range is symmetric. */
export const INT8_QMAX = 127;

/**
 * Quantise W [rows, cols] (row-major) per row. An all-zero row gets scale 1 so that
 * DequantizeLinear never divides by or multiplies with a degenerate scale.
 * @example quantizePerChannel([0.5, -1, 0, 0], 2, 2) → values [64, -127, 0, 0], scales [1/127, 1]
 */
export function quantizePerChannel(weights: ArrayLike<number>, rows: number, cols: number): QuantizedMatrix {
  if (weights.length !== rows * cols) {
    throw new ShapeError(`quantizePerChannel: ${weights.length} weights do not fill [${rows}, ${cols}]`);
  }
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let j = 0; j < cols; j++) {
      const w = weights[r * cols + j];
      if (!Number.isFinite(w)) throw new ShapeError(`quantizePerChannel: weight [${r}, ${j}] is ${w}`);
      max = Math.max(max, Math.abs(w));
    }
    const scale = max === 0 ? 1 : Math.fround(max / INT8_QMAX);
    scales[r] = scale;
    for (let j = 0; j < cols; j++) {
      const x = weights[r * cols + j] / scale;
      const q = Math.sign(x) * Math.round(Math.abs(x)); // half away from zero, symmetric in sign
      values[r * cols + j] = Math.max(-INT8_QMAX, Math.min(INT8_QMAX, q));
    }
  }
  return { values, scales, rows, cols };
}

/**
 * The float32 weights DequantizeLinear produces: q * scale, rounded once to float32 (the
 * product of an int8 and a float32 is exact in float64, so this matches the runtime bit for bit).
 */
export function dequantize(q: QuantizedMatrix): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let j = 0; j < q.cols; j++) out[r * q.cols + j] = q.values[r * q.cols + j] * q.scales[r];
  }
  return out;
}

/**
 * Emit int8 W and float32 scales [rows] as initializers, then DequantizeLinear(axis=0). Returns
 * the name of the float32 [rows, cols] tensor. The optional zero-point input is left out: without
 * it DequantizeLinear takes zero point 0, and the output type follows x (int8 here), per the ONNX
 * spec; writing [rows] zeros would only add an initializer and a node input.
 */
export function emitInt8Weight(b: GraphScope, q: QuantizedMatrix, hint = 'w'): string {
  const w = b.initializerI8(q.values, [q.rows, q.cols], `${hint}_q`);
  const scale = b.initializerF32(q.scales, [q.rows], `${hint}_s`);
  return b.node('DequantizeLinear', [w, scale], { axis: { i: 0 } }, hint);
}

/**
 * Emit a FLOAT16 initializer followed by Cast(to=FLOAT). Returns the float32 tensor's name; its
 * values equal roundToFloat16(values).
 */
export function emitFloat16Weight(
  b: GraphScope,
  values: Uint16Array | ArrayLike<number>,
  dims: readonly number[],
  hint = 'w',
): string {
  const half = b.initializerF16(values, dims, `${hint}_h`);
  return b.node('Cast', [half], { to: { i: DATA_TYPE.float32 } }, hint);
}
