/**
 * Tensor and value-info protobuf messages (the numeric type codes live in data-type.ts).
 *
 * Every initializer is written as little-endian raw_data: it is the most compact encoding
 * (float_data would cost a tag and varint per element for int types) and the one ONNX Runtime
 * reads without conversion. The writer uses DataView so the bytes are little-endian on any host.
 */

import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { OnnxError } from '../errors.js';
import { DATA_TYPE, type ElemType } from './data-type.js';
import { toFloat16 } from './float16.js';

export { DATA_TYPE, type ElemType };

/** onnx-proto is CommonJS; Node's ESM loader only exposes it as a default export. */
export const { onnx } = onnxProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
export type NodeProto = OnnxTypes.INodeProto;
export type GraphProto = OnnxTypes.IGraphProto;
export type AttributeProto = OnnxTypes.IAttributeProto;

/** A dimension: a fixed size, or a symbolic name such as 'N' shared by inputs and outputs. */
export type Dim = number | string;

/** Graph input/output declaration with its element type and shape. */
export function valueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): ValueInfoProto {
  const dim = dims.map((d) => {
    if (typeof d === 'string') {
      if (d === '') throw new OnnxError(`value '${name}': a symbolic dimension needs a non-empty name`);
      return { dimParam: d };
    }
    if (!Number.isInteger(d) || d < 0) {
      throw new OnnxError(`value '${name}': dimension ${d} must be a non-negative integer or a name`);
    }
    return { dimValue: d };
  });
  return { name, type: { tensorType: { elemType: DATA_TYPE[elemType], shape: { dim } } } };
}

/** Number of elements of a fixed shape; throws naming the tensor when a dimension is invalid. */
export function elementCount(name: string, dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new OnnxError(
        `tensor '${name}': dimension ${d} in [${dims.join(', ')}] is not a non-negative integer`,
      );
    }
    n *= d;
  }
  return n;
}

function checkCount(name: string, length: number, dims: readonly number[]): void {
  const n = elementCount(name, dims);
  if (n !== length) {
    throw new OnnxError(
      `tensor '${name}': ${length} values do not fill shape [${dims.join(', ')}] (${n} elements)`,
    );
  }
}

function checkIntRange(name: string, values: ArrayLike<number>, lo: number, hi: number, type: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new OnnxError(`tensor '${name}': element ${i} = ${v} is not a ${type} (${lo}..${hi})`);
    }
  }
}

function tensor(name: string, elemType: ElemType, dims: readonly number[], raw: Uint8Array): TensorProto {
  return { name, dataType: DATA_TYPE[elemType], dims: [...dims], rawData: raw };
}

/** FLOAT tensor; values are rounded to float32. */
export function tensorF32(name: string, values: ArrayLike<number>, dims: readonly number[]): TensorProto {
  checkCount(name, values.length, dims);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return tensor(name, 'float32', dims, raw);
}

/**
 * FLOAT16 tensor. A Uint16Array is taken as ready-made half bit patterns; any other array is
 * converted with round-to-nearest-even.
 */
export function tensorF16(
  name: string,
  values: Uint16Array | ArrayLike<number>,
  dims: readonly number[],
): TensorProto {
  checkCount(name, values.length, dims);
  const bits = values instanceof Uint16Array ? values : toFloat16(values);
  const raw = new Uint8Array(bits.length * 2);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < bits.length; i++) view.setUint16(i * 2, bits[i], true);
  return tensor(name, 'float16', dims, raw);
}

/** INT8 tensor; every value must be an integer in -128..127. */
export function tensorI8(name: string, values: ArrayLike<number>, dims: readonly number[]): TensorProto {
  checkCount(name, values.length, dims);
  checkIntRange(name, values, -128, 127, 'int8');
  const raw = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) raw[i] = values[i] & 0xff;
  return tensor(name, 'int8', dims, raw);
}

/** UINT8 tensor; every value must be an integer in 0..255. */
export function tensorU8(name: string, values: ArrayLike<number>, dims: readonly number[]): TensorProto {
  checkCount(name, values.length, dims);
  checkIntRange(name, values, 0, 255, 'uint8');
  return tensor(name, 'uint8', dims, Uint8Array.from(values));
}

/** INT32 tensor. */
export function tensorI32(name: string, values: ArrayLike<number>, dims: readonly number[]): TensorProto {
  checkCount(name, values.length, dims);
  checkIntRange(name, values, -(2 ** 31), 2 ** 31 - 1, 'int32');
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i], true);
  return tensor(name, 'int32', dims, raw);
}

/** INT64 tensor (shapes, axes, Reshape targets). Numbers must be safe integers. */
export function tensorI64(
  name: string,
  values: ArrayLike<number | bigint>,
  dims: readonly number[],
): TensorProto {
  checkCount(name, values.length, dims);
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number' && !Number.isSafeInteger(v)) {
      throw new OnnxError(`tensor '${name}': element ${i} = ${v} is not a safe integer for int64`);
    }
    view.setBigInt64(i * 8, BigInt(v), true);
  }
  return tensor(name, 'int64', dims, raw);
}

/** Float32 values and dims of a decoded FLOAT tensor, whether stored as raw_data or float_data. */
export function decodeFloat32Tensor(t: TensorProto): { data: Float32Array; dims: number[] } {
  const name = t.name ?? '(unnamed)';
  if (t.dataType !== DATA_TYPE.float32)
    throw new OnnxError(`tensor '${name}': data type ${t.dataType} is not FLOAT`);
  // protobufjs decodes int64 as Long objects when the 'long' package is present.
  const dims = (t.dims ?? []).map((d) => (typeof d === 'number' ? d : d.toNumber()));
  const n = elementCount(name, dims);
  let data: Float32Array;
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * 4)
      throw new OnnxError(`tensor '${name}': raw_data holds ${t.rawData.length} bytes, expected ${n * 4}`);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
  } else {
    data = Float32Array.from(t.floatData ?? []);
    if (data.length !== n)
      throw new OnnxError(`tensor '${name}': float_data holds ${data.length} values, expected ${n}`);
  }
  return { data, dims };
}
