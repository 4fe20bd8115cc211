/**
 * The step graph as the compiled engine sees it: an ONNX model decoded into tensors with static
 * shapes at batch size 1, constants decoded to float32 (int8 QDQ weights dequantised, float16
 * weights widened, exactly as DequantizeLinear and Cast compute them), and the nodes left to run
 * in graph order. Anything outside the small op set liquidkan's exporter writes is refused with
 * an OnnxError naming the node, so the engine declines and onnxruntime serves the model instead.
 */

import { OnnxError } from '../../errors.js';
import { DATA_TYPE } from '../../onnx/data-type.js';
import { fromFloat16 } from '../../onnx/float16.js';
import { type ReadAttribute, type ReadTensor, readModel } from '../../onnx/read-model.js';

/** A tensor of the graph at batch size 1. `value` is set for constants (known at load). */
export interface GraphTensor {
  readonly id: number;
  readonly name: string;
  readonly dims: readonly number[];
  readonly size: number;
  value: Float32Array | null;
  /** Integer constants (Slice starts/ends/axes). */
  ints: number[] | null;
}

export interface GraphNode {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly (GraphTensor | null)[];
  readonly output: GraphTensor;
  readonly attrs: Readonly<Record<string, number | readonly number[]>>;
}

export interface GraphInput {
  readonly tensor: GraphTensor;
  /** True when the first dimension is symbolic (the batch), so feeds may stack rows. */
  readonly batched: boolean;
  /** The default value of an input that has one (an initializer of the same name, e.g. τ). */
  readonly default: Float32Array | null;
}

export interface StepGraph {
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly { readonly tensor: GraphTensor; readonly batched: boolean }[];
  readonly nodes: readonly GraphNode[];
  readonly tensors: readonly GraphTensor[];
}

const ELEMENTWISE_UNARY = new Set([
  'Identity',
  'Neg',
  'Abs',
  'Relu',
  'LeakyRelu',
  'Tanh',
  'Sigmoid',
  'Exp',
  'Log',
  'Sqrt',
  'Sin',
  'Cos',
  'Atan',
  'Softplus',
  'Erf',
  'Cast',
  'Clip',
]);
const ELEMENTWISE_BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** Ops that are not elementwise: folded at load (DequantizeLinear) or compiled as loops. */
const STRUCTURAL = new Set(['DequantizeLinear', 'Gemm', 'Slice', 'Concat']);

export function isElementwise(op: string): boolean {
  return ELEMENTWISE_UNARY.has(op) || ELEMENTWISE_BINARY.has(op);
}

/** A constant as float32 values (or integers for int64), decoded from its initializer. */
function decodeInitializer(t: ReadTensor): {
  value: Float32Array | null;
  ints: number[] | null;
  dims: number[];
  int8?: Int8Array;
} {
  const dims = t.dims;
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? Uint8Array.from(t.rawData) : null;
  const need = (bytes: number) => {
    if (raw && raw.length !== n * bytes)
      throw new OnnxError(
        `js engine: initializer '${t.name}' holds ${raw.length} bytes, expected ${n * bytes}`,
      );
  };
  switch (t.dataType) {
    case DATA_TYPE.float32: {
      need(4);
      const value = raw ? new Float32Array(raw.buffer, 0, n) : Float32Array.from(t.floatData);
      if (value.length !== n)
        throw new OnnxError(`js engine: initializer '${t.name}' holds ${value.length} values, expected ${n}`);
      return { value, ints: null, dims };
    }
    case DATA_TYPE.float16: {
      need(2);
      const bits = raw ? new Uint16Array(raw.buffer, 0, n) : Uint16Array.from(t.int32Data);
      return { value: fromFloat16(bits), ints: null, dims };
    }
    case DATA_TYPE.int8: {
      need(1);
      const q = raw ? new Int8Array(raw.buffer, 0, n) : Int8Array.from(t.int32Data);
      return { value: Float32Array.from(q), ints: null, dims, int8: q };
    }
    case DATA_TYPE.int64: {
      need(8);
      let ints: number[];
      if (raw) {
        const view = new DataView(raw.buffer);
        ints = Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true)));
      } else ints = t.int64Data;
      return { value: null, ints, dims };
    }
    default:
      throw new OnnxError(
        `js engine: initializer '${t.name}' has data type ${t.dataType}, which it does not read`,
      );
  }
}

/** AttributeProto.AttributeType codes. */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;

function attrValue(a: ReadAttribute): number | readonly number[] {
  if (a.type === ATTR_INTS) return a.ints;
  if (a.type === ATTR_FLOAT) return a.f;
  if (a.type === ATTR_INT) return a.i;
  throw new OnnxError(`js engine: attribute '${a.name}' has type ${a.type}, which it does not read`);
}

/** numpy broadcasting of two shapes; null when they do not broadcast. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

const squeeze = (d: readonly number[]) => d.filter((x) => x !== 1).join(',');

/**
 * Decodes ONNX bytes into a StepGraph at batch size 1. Throws OnnxError naming the node or
 * tensor it cannot handle.
 */
export function decodeStepGraph(bytes: Uint8Array): StepGraph {
  let g: ReturnType<typeof readModel>;
  try {
    g = readModel(bytes);
  } catch (err) {
    throw new OnnxError(`js engine: ${(err as Error).message}`, { cause: err });
  }
  const tensors: GraphTensor[] = [];
  const byName = new Map<string, GraphTensor>();
  const define = (name: string, dims: readonly number[]): GraphTensor => {
    const t: GraphTensor = {
      id: tensors.length,
      name,
      dims,
      size: dims.reduce((a, b) => a * b, 1),
      value: null,
      ints: null,
    };
    tensors.push(t);
    byName.set(name, t);
    return t;
  };
  const initializers = new Map<string, ReadTensor>();
  for (const t of g.initializer) initializers.set(t.name, t);
  const int8 = new Map<GraphTensor, Int8Array>();

  const inputs: GraphInput[] = [];
  for (const vi of g.input) {
    const name = vi.name;
    if (vi.elemType !== DATA_TYPE.float32) throw new OnnxError(`js engine: input '${name}' is not float32`);
    const dims = vi.dims.map((d) => (typeof d === 'string' ? 1 : d));
    const t = define(name, dims);
    const init = initializers.get(name);
    inputs.push({
      tensor: t,
      batched: typeof vi.dims[0] === 'string',
      default: init ? decodeInitializer(init).value : null,
    });
  }
  for (const [name, init] of initializers) {
    if (byName.has(name)) continue;
    const d = decodeInitializer(init);
    const t = define(name, d.dims);
    t.value = d.value;
    t.ints = d.ints;
    if (d.int8) int8.set(t, d.int8);
  }

  const nodes: GraphNode[] = [];
  for (const [k, n] of g.node.entries()) {
    const op = n.opType;
    const label = `node ${n.name || k} (${op})`;
    if (n.domain !== '')
      throw new OnnxError(`js engine: ${label} is in domain '${n.domain}', not the ONNX default`);
    if (!isElementwise(op) && !STRUCTURAL.has(op)) {
      throw new OnnxError(`js engine: ${label}: op ${op} is not compiled (onnxruntime serves this model)`);
    }
    if (n.output.length !== 1) throw new OnnxError(`js engine: ${label} has ${n.output.length} outputs`);
    const ins = n.input.map((name) => {
      if (name === '') return null;
      const t = byName.get(name);
      if (!t) throw new OnnxError(`js engine: ${label} reads '${name}', which nothing defines before it`);
      return t;
    });
    const attrs: Record<string, number | readonly number[]> = {};
    for (const a of n.attribute) attrs[a.name] = attrValue(a);
    const outName = n.output[0]!;
    const need = (i: number) => {
      const t = ins[i];
      if (!t) throw new OnnxError(`js engine: ${label} is missing input ${i}`);
      return t;
    };

    // Constant producers are evaluated here, once.
    if (op === 'DequantizeLinear') {
      const x = need(0);
      const scale = need(1);
      const zp = ins[2] ?? null;
      const q = int8.get(x);
      if (!q || !scale.value || (zp && !zp.value))
        throw new OnnxError(
          `js engine: ${label} dequantises a tensor that is not a constant int8 initializer`,
        );
      const axis = typeof attrs['axis'] === 'number' ? (attrs['axis'] as number) : 1;
      const out = define(outName, x.dims);
      const a = axis < 0 ? axis + x.dims.length : axis;
      const inner = x.dims.slice(a + 1).reduce((p, d) => p * d, 1);
      const channels = scale.size === 1 ? 1 : x.dims[a]!;
      const v = new Float32Array(x.size);
      for (let i = 0; i < x.size; i++) {
        const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
        v[i] = (q[i]! - (zp?.value?.[c] ?? 0)) * scale.value[c]!;
      }
      out.value = v;
      continue;
    }
    if (op === 'Cast' && ins[0]?.value) {
      const out = define(outName, ins[0].dims);
      out.value = Float32Array.from(ins[0].value);
      continue;
    }

    let dims: readonly number[];
    if (isElementwise(op)) {
      const data = op === 'Clip' ? ins.slice(0, 1) : ins;
      let shape: number[] | null = [...need(0).dims];
      for (const t of data.slice(1)) shape = shape && t ? broadcast(shape, t.dims) : shape;
      if (!shape) throw new OnnxError(`js engine: ${label} inputs do not broadcast`);
      const size = shape.reduce((a, b) => a * b, 1);
      for (const t of ins) {
        if (t && t.size !== 1 && (t.size !== size || squeeze(t.dims) !== squeeze(shape))) {
          throw new OnnxError(
            `js engine: ${label} needs a general broadcast of [${t.dims.join(', ')}] to [${shape.join(', ')}]`,
          );
        }
      }
      if (op === 'Cast' && attrs['to'] !== DATA_TYPE.float32)
        throw new OnnxError(`js engine: ${label} casts to a type other than float32`);
      dims = shape;
    } else if (op === 'Gemm') {
      const a = need(0);
      const b = need(1);
      if (a.dims.length !== 2 || b.dims.length !== 2)
        throw new OnnxError(`js engine: ${label} needs 2-D operands`);
      const M = attrs['transA'] ? a.dims[1]! : a.dims[0]!;
      const N = attrs['transB'] ? b.dims[0]! : b.dims[1]!;
      const c = ins[2];
      if (c && c.size !== 1 && c.size !== N && c.size !== M * N)
        throw new OnnxError(`js engine: ${label} bias has ${c.size} values for [${M}, ${N}]`);
      dims = [M, N];
    } else if (op === 'Slice') {
      const data = need(0);
      const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => ins[i]?.ints ?? null);
      if (!starts || !ends || (ins[3] && !axes) || (ins[4] && !steps))
        throw new OnnxError(`js engine: ${label} has slice bounds that are not constants`);
      if (steps?.some((s) => s !== 1)) throw new OnnxError(`js engine: ${label} has a step other than 1`);
      const d = [...data.dims];
      const ax = axes ?? starts.map((_, i) => i);
      const ranges = data.dims.map((n) => [0, n] as [number, number]);
      ax.forEach((axis0, i) => {
        const axis = axis0 < 0 ? axis0 + d.length : axis0;
        const n = data.dims[axis]!;
        const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
        ranges[axis] = [clamp(starts[i]!), Math.max(clamp(starts[i]!), clamp(ends[i]!))];
        d[axis] = ranges[axis]![1] - ranges[axis]![0];
      });
      dims = d;
      attrs['ranges'] = ranges.flat();
    } else if (op === 'Concat') {
      const axis0 = typeof attrs['axis'] === 'number' ? (attrs['axis'] as number) : 0;
      const first = need(0);
      const axis = axis0 < 0 ? axis0 + first.dims.length : axis0;
      const d = [...first.dims];
      d[axis] = ins.reduce((s, t) => s + (t?.dims[axis] ?? 0), 0);
      dims = d;
      attrs['axis'] = axis;
    } else {
      throw new OnnxError(`js engine: ${label}: op ${op} is not compiled (onnxruntime serves this model)`);
    }
    nodes.push({ op, name: n.name || `${k}`, inputs: ins, output: define(outName, dims), attrs });
  }

  const outputs = g.output.map((vi) => {
    const t = byName.get(vi.name);
    if (!t) throw new OnnxError(`js engine: output '${vi.name}' is not computed by any node`);
    return { tensor: t, batched: typeof vi.dims[0] === 'string' };
  });
  return { inputs, outputs, nodes, tensors };
}
