/**
 * A GraphBuilder that records nodes and interprets them in float64, so each emitter's graph can
 * be checked against the TypeScript evaluation without onnxruntime.
 */
import { erf } from '../../../shared/activations/math.js';
import type { Attr, GraphBuilder } from '../../../shared/onnx/graph-builder.js';

type Tensor = Float64Array;
interface Node {
  op: string;
  inputs: readonly string[];
  attrs: Readonly<Record<string, Attr>>;
  output: string;
}

const UNARY: Record<string, (x: number) => number> = {
  Relu: (x) => Math.max(x, 0),
  Abs: Math.abs,
  Neg: (x) => -x,
  Sin: Math.sin,
  Cos: Math.cos,
  Exp: Math.exp,
  Log: Math.log,
  Sqrt: Math.sqrt,
  Tanh: Math.tanh,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Softplus: (x) => Math.log1p(Math.exp(x)),
  Erf: erf,
  Atan: Math.atan,
  Identity: (x) => x,
};
const BINARY: Record<string, (x: number, y: number) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y) => x / y,
};

export class FakeGraph implements GraphBuilder {
  readonly nodes: Node[] = [];
  private readonly consts = new Map<string, Tensor>();
  private next = 0;

  constant(values: ArrayLike<number>, _dims: readonly number[]): string {
    const name = `c${this.next++}`;
    this.consts.set(name, Float64Array.from(values));
    return name;
  }
  scalar(value: number): string {
    return this.constant([value], []);
  }
  node(op: string, inputs: readonly string[], attrs: Readonly<Record<string, Attr>> = {}): string {
    const output = `t${this.next++}`;
    this.nodes.push({ op, inputs, attrs, output });
    return output;
  }
  nodeMulti(): string[] {
    throw new Error('not used by activation emitters');
  }
  /** Ops other than constants, in order. */
  ops(): string[] {
    return this.nodes.map((n) => n.op);
  }

  /** Run the graph with `input` bound to x; returns the tensor named `output`. */
  run(input: string, x: Float64Array, output: string): Float64Array {
    const env = new Map<string, Tensor>(this.consts);
    env.set(input, x);
    const get = (i: number, t: Tensor) => t[t.length === 1 ? 0 : i];
    for (const n of this.nodes) {
      const ins = n.inputs.map((name) => {
        const t = env.get(name);
        if (!t) throw new Error(`unknown tensor ${name}`);
        return t;
      });
      const len = Math.max(...ins.map((t) => t.length));
      const out = new Float64Array(len);
      for (let i = 0; i < len; i++) {
        const v = ins.map((t) => get(i, t));
        if (n.op in UNARY) out[i] = UNARY[n.op](v[0]);
        else if (n.op in BINARY) out[i] = BINARY[n.op](v[0], v[1]);
        else if (n.op === 'Clip') out[i] = Math.min(Math.max(v[0], v[1]), v[2]);
        else if (n.op === 'LeakyRelu') out[i] = v[0] > 0 ? v[0] : (n.attrs.alpha as { f: number }).f * v[0];
        else throw new Error(`op ${n.op} not interpreted`);
      }
      env.set(n.output, out);
    }
    const y = env.get(output);
    if (!y) throw new Error(`no tensor ${output}`);
    return y;
  }
}
