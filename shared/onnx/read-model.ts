/**
 * A minimal reader of ONNX ModelProto bytes: the protobuf wire format decoded by hand for the
 * fields a step graph uses (graph nodes, attributes, initializers, inputs and outputs with their
 * shapes), into plain objects named like onnx-proto's. The compiled engine reads models with it,
 * so a --lite board never loads the protobuf library (about 4 MiB of resident memory).
 * Field numbers are those of onnx.proto (IR 8); fields it does not know are skipped.
 */

import { OnnxError } from '../errors.js';

export interface ReadTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array | null;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
}

export interface ReadAttribute {
  name: string;
  /** AttributeProto.AttributeType: 1 FLOAT, 2 INT, 6 FLOATS, 7 INTS, … */
  type: number;
  f: number;
  i: number;
  ints: number[];
}

export interface ReadNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: ReadAttribute[];
}

export interface ReadValueInfo {
  name: string;
  elemType: number;
  /** Each dimension: a size, or a symbolic name. */
  dims: (number | string)[];
}

export interface ReadGraph {
  node: ReadNode[];
  initializer: ReadTensor[];
  input: ReadValueInfo[];
  output: ReadValueInfo[];
}

/** A cursor over one length-delimited message. */
class Wire {
  private pos: number;
  constructor(
    private readonly b: Uint8Array,
    start = 0,
    private readonly end = b.length,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let shift = 1;
    for (;;) {
      if (this.pos >= this.end) throw new OnnxError('ONNX model: truncated varint');
      const byte = this.b[this.pos++]!;
      result += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
      shift *= 128;
    }
    return result;
  }
  /** A signed int64 varint (two's complement over 64 bits), as a number. */
  int64(): number {
    const v = this.varint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v;
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) throw new OnnxError('ONNX model: a field runs past the end of its message');
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  sub(): Wire {
    const n = this.varint();
    if (this.pos + n > this.end) throw new OnnxError('ONNX model: a message runs past the end of its parent');
    const w = new Wire(this.b, this.pos, this.pos + n);
    this.pos += n;
    return w;
  }
  string(): string {
    return new TextDecoder().decode(this.bytes());
  }
  float32(): number {
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) {
      const n = this.varint();
      this.pos += n;
    } else if (wireType === 5) this.pos += 4;
    else throw new OnnxError(`ONNX model: unsupported protobuf wire type ${wireType}`);
  }
  /** Visits each field: f(fieldNumber, wireType, this). */
  fields(f: (field: number, wireType: number) => boolean | undefined): void {
    while (!this.done) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wireType = key & 7;
      if (f(field, wireType) !== true) this.skip(wireType);
    }
  }
  /** A repeated scalar field, packed (wire type 2) or not. */
  repeated(wireType: number, read: (w: Wire) => number, into: number[]): void {
    if (wireType !== 2) {
      into.push(read(this));
      return;
    }
    const w = this.sub();
    while (!w.done) into.push(read(w));
  }
}

function readTensor(w: Wire): ReadTensor {
  const t: ReadTensor = {
    name: '',
    dims: [],
    dataType: 0,
    rawData: null,
    floatData: [],
    int32Data: [],
    int64Data: [],
  };
  w.fields((field, wt) => {
    if (field === 1) w.repeated(wt, (x) => x.int64(), t.dims);
    else if (field === 2) t.dataType = w.varint();
    else if (field === 4) w.repeated(wt, (x) => x.float32(), t.floatData);
    else if (field === 5) w.repeated(wt, (x) => x.int64(), t.int32Data);
    else if (field === 7) w.repeated(wt, (x) => x.int64(), t.int64Data);
    else if (field === 8) t.name = w.string();
    else if (field === 9) t.rawData = w.bytes();
    else return false;
    return true;
  });
  return t;
}

function readAttribute(w: Wire): ReadAttribute {
  const a: ReadAttribute = { name: '', type: 0, f: 0, i: 0, ints: [] };
  w.fields((field, wt) => {
    if (field === 1) a.name = w.string();
    else if (field === 2) a.f = w.float32();
    else if (field === 3) a.i = w.int64();
    else if (field === 8) w.repeated(wt, (x) => x.int64(), a.ints);
    else if (field === 20) a.type = w.varint();
    else return false;
    return true;
  });
  return a;
}

function readNode(w: Wire): ReadNode {
  const n: ReadNode = { input: [], output: [], name: '', opType: '', domain: '', attribute: [] };
  w.fields((field) => {
    if (field === 1) n.input.push(w.string());
    else if (field === 2) n.output.push(w.string());
    else if (field === 3) n.name = w.string();
    else if (field === 4) n.opType = w.string();
    else if (field === 5) n.attribute.push(readAttribute(w.sub()));
    else if (field === 7) n.domain = w.string();
    else return false;
    return true;
  });
  return n;
}

function readDims(w: Wire, dims: (number | string)[]): void {
  // TensorShapeProto: dim (1) → Dimension: dim_value (1) | dim_param (2)
  w.fields((field) => {
    if (field !== 1) return false;
    const d = w.sub();
    let dim: number | string = 0;
    d.fields((f) => {
      if (f === 1) dim = d.int64();
      else if (f === 2) dim = d.string();
      else return false;
      return true;
    });
    dims.push(dim);
    return true;
  });
}

function readValueInfo(w: Wire): ReadValueInfo {
  const v: ReadValueInfo = { name: '', elemType: 0, dims: [] };
  w.fields((field) => {
    if (field === 1) v.name = w.string();
    else if (field === 2) {
      // TypeProto: tensor_type (1) → elem_type (1), shape (2)
      const type = w.sub();
      type.fields((f) => {
        if (f !== 1) return false;
        const tensor = type.sub();
        tensor.fields((g) => {
          if (g === 1) v.elemType = tensor.varint();
          else if (g === 2) readDims(tensor.sub(), v.dims);
          else return false;
          return true;
        });
        return true;
      });
    } else return false;
    return true;
  });
  return v;
}

function readGraph(w: Wire): ReadGraph {
  const g: ReadGraph = { node: [], initializer: [], input: [], output: [] };
  w.fields((field) => {
    if (field === 1) g.node.push(readNode(w.sub()));
    else if (field === 5) g.initializer.push(readTensor(w.sub()));
    else if (field === 11) g.input.push(readValueInfo(w.sub()));
    else if (field === 12) g.output.push(readValueInfo(w.sub()));
    else return false;
    return true;
  });
  return g;
}

/** Decodes a ModelProto's graph; throws OnnxError when the bytes are not a model with a graph. */
export function readModel(bytes: Uint8Array): ReadGraph {
  let graph: ReadGraph | null = null;
  try {
    const w = new Wire(bytes);
    w.fields((field, wt) => {
      if (field !== 7 || wt !== 2) return false;
      graph = readGraph(w.sub());
      return true;
    });
  } catch (err) {
    throw new OnnxError(`ONNX model (${bytes.length} bytes) does not decode: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!graph) throw new OnnxError(`ONNX model (${bytes.length} bytes) has no graph`);
  return graph;
}
