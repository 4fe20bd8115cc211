/**
 * The concrete GraphBuilder: collects nodes, initializers and graph signatures and encodes an
 * ONNX ModelProto (IR 8, opset 17, producer 'liquidkan').
 *
 * Design points:
 * - One name table for the model and all its subgraphs, because ONNX demands single static
 *   assignment across nested scopes (a Scan body may not redefine an outer name).
 * - Every initializer lives in the main graph, also those a Scan body asks for: a body may read
 *   outer-scope tensors by name, so constants can be shared and deduplicated model-wide.
 * - Generated names are short (c0, t3) and nodes are unnamed unless asked for: a small model's size
 *   is dominated by names otherwise, and the int8 artifact has to stay small next to the fp32 one.
 * - output(name, ..., source) renames the node output `source` instead of adding an Identity node
 *   where it can: every node costs the runtime time on each run.
 * - Node inputs are checked against names already defined in this scope or an enclosing one, so an
 *   emitter bug is reported here, naming the op, instead of as a checker message later.
 */

import { OnnxError } from '../errors.js';
import type { Attr, GraphBuilder, SubgraphHandle } from './graph-builder.js';
import {
  type AttributeProto,
  type Dim,
  type ElemType,
  type GraphProto,
  type NodeProto,
  onnx,
  type TensorProto,
  tensorF16,
  tensorF32,
  tensorI8,
  tensorI32,
  tensorI64,
  tensorU8,
  type ValueInfoProto,
  valueInfo,
} from './tensor-proto.js';

/** ONNX IR version written into every model (IR 8 = onnx 1.10 .. 1.12). */
export const ONNX_IR_VERSION = 8;
/** Opset of the default ('') domain. */
export const ONNX_OPSET = 17;
export const ONNX_PRODUCER = 'liquidkan';

export interface OnnxModelOptions {
  /** Name of the main graph, e.g. 'lkan_step'. */
  graphName: string;
  /** Free text stored as the main graph's doc_string (once: the model's would repeat it). @defaultValue none */
  docString?: string;
  /** producer_version field. @defaultValue none */
  producerVersion?: string;
  /**
   * Give every node a name (n0, n1, ...). Node names are optional in ONNX and runtimes name
   * unnamed nodes themselves, so they are left out by default: they only cost bytes.
   * @defaultValue false
   */
  nodeNames?: boolean;
}

/** Subgraph protos behind opaque handles; a handle can be attached to one node only. */
const subgraphProtos = new WeakMap<SubgraphHandle, { proto: GraphProto; used: boolean }>();

/** State shared by a model and all of its subgraphs. */
class ModelState {
  constructor(readonly nodeNames: boolean) {}

  readonly used = new Set<string>();
  readonly initializers: TensorProto[] = [];
  readonly constCache = new Map<string, string>();
  /** Node outputs renamed by output(): old name → graph output name. */
  readonly aliases = new Map<string, string>();
  /** Names read by a node of a scope other than the one defining them (a subgraph's outer reads). */
  readonly captured = new Set<string>();
  private counters = new Map<string, number>();

  /** Reserve a caller-chosen name; duplicates are an error because ONNX names are global. */
  claim(name: string, what: string): void {
    if (name === '') throw new OnnxError(`${what}: empty name`);
    if (this.used.has(name)) throw new OnnxError(`${what} '${name}': name is already used in this model`);
    this.used.add(name);
  }

  /** A fresh unused name: the hint itself if free, else prefix + counter. */
  fresh(prefix: string, hint?: string): string {
    if (hint && !this.used.has(hint)) {
      this.used.add(hint);
      return hint;
    }
    const base = hint ?? prefix;
    let k = this.counters.get(base) ?? 0;
    let name = `${base}${hint ? '_' : ''}${k}`;
    while (this.used.has(name)) name = `${base}${hint ? '_' : ''}${++k}`;
    this.counters.set(base, k + 1);
    this.used.add(name);
    return name;
  }

  /** The current name of a tensor (after output() renamed it); names are never renamed twice. */
  resolve(name: string): string {
    return this.aliases.get(name) ?? name;
  }

  addInitializer(proto: TensorProto): string {
    this.initializers.push(proto);
    return proto.name as string;
  }
}

function toAttribute(op: string, name: string, attr: Attr): AttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('f' in attr) return { name, type: T.FLOAT, f: attr.f };
  if ('i' in attr) {
    if (!Number.isSafeInteger(attr.i))
      throw new OnnxError(`${op}: attribute '${name}' = ${attr.i} is not an integer`);
    return { name, type: T.INT, i: attr.i };
  }
  if ('s' in attr) return { name, type: T.STRING, s: new TextEncoder().encode(attr.s) };
  if ('floats' in attr) return { name, type: T.FLOATS, floats: [...attr.floats] };
  if ('ints' in attr) {
    const bad = attr.ints.find((v) => !Number.isSafeInteger(v));
    if (bad !== undefined) throw new OnnxError(`${op}: attribute '${name}' holds non-integer ${bad}`);
    return { name, type: T.INTS, ints: [...attr.ints] };
  }
  const entry = subgraphProtos.get(attr.graph);
  if (!entry) throw new OnnxError(`${op}: attribute '${name}' is not a graph made by subgraph().finish()`);
  if (entry.used)
    throw new OnnxError(`${op}: attribute '${name}': a subgraph can be attached to one node only`);
  entry.used = true;
  return { name, type: T.GRAPH, g: entry.proto };
}

/** Behaviour common to the main graph and subgraphs. */
export abstract class GraphScope implements GraphBuilder {
  protected readonly nodes: NodeProto[] = [];
  protected readonly inputs: ValueInfoProto[] = [];
  protected readonly outputs: ValueInfoProto[] = [];
  /** Names defined in this scope (inputs, node outputs; the main graph also holds initializers). */
  protected readonly defined = new Set<string>();
  /** The node of this scope that makes each node output, for output() to rename it. */
  private readonly producers = new Map<string, NodeProto>();

  protected constructor(
    protected readonly state: ModelState,
    protected readonly parent: GraphScope | undefined,
  ) {}

  /** Whether `name` may be read here: defined in this scope or an enclosing one. */
  isVisible(name: string): boolean {
    return this.defined.has(name) || (this.parent?.isVisible(name) ?? false);
  }

  protected root(): GraphScope {
    return this.parent ? this.parent.root() : this;
  }

  /** Declare a graph input. dims may mix sizes and symbolic names ('N'). Returns the name. */
  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.state.claim(name, 'input');
    this.inputs.push(valueInfo(name, elemType, dims));
    this.defined.add(name);
    return name;
  }

  /**
   * Declare a graph output. With `source` (a tensor made earlier) different from `name`, the output
   * takes the new name, so emitters need not know the final output names: when `source` is made by
   * a node of this scope, that node's output is renamed (with the nodes of this scope that read it,
   * and later references to `source`, which resolve to `name`); otherwise (a graph input, an
   * initializer, an outer-scope tensor, a tensor a subgraph already reads, or one that is already an
   * output) an Identity node copies it.
   */
  output(name: string, elemType: ElemType, dims: readonly Dim[], source?: string): string {
    if (source !== undefined) source = this.state.resolve(source);
    if (source !== undefined && source !== name) {
      if (!this.isVisible(source))
        throw new OnnxError(`output '${name}': source tensor '${source}' is not defined`);
      this.state.claim(name, 'output');
      const producer = this.producers.get(source);
      if (
        producer !== undefined &&
        !this.state.captured.has(source) &&
        !this.outputs.some((o) => o.name === source)
      ) {
        this.rename(producer, source, name);
      } else {
        if (!this.defined.has(source)) this.state.captured.add(source);
        this.defined.add(name);
        this.pushNode('Identity', [source], [name]);
      }
    } else if (!this.defined.has(name)) {
      throw new OnnxError(`output '${name}': no node in this graph produces it (pass its source tensor)`);
    }
    if (this.outputs.some((o) => o.name === name)) throw new OnnxError(`output '${name}' is declared twice`);
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Renames node output `from` to `to` in this scope; later uses of `from` resolve to `to`. */
  private rename(producer: NodeProto, from: string, to: string): void {
    producer.output = (producer.output ?? []).map((o) => (o === from ? to : o));
    for (const node of this.nodes) {
      if (node.input?.includes(from)) node.input = node.input.map((i) => (i === from ? to : i));
    }
    this.producers.delete(from);
    this.producers.set(to, producer);
    this.defined.delete(from);
    this.defined.add(to);
    this.state.aliases.set(from, to);
  }

  /** float32 initializer. Identical constants (same shape and float32 bits) share one tensor. */
  constant(values: ArrayLike<number>, dims: readonly number[], hint?: string): string {
    const data = Float32Array.from(values);
    const key = `${dims.join('x')}:${new Uint32Array(data.buffer).join(',')}`;
    const hit = this.state.constCache.get(key);
    if (hit !== undefined) return hit;
    const name = this.addInit('c', hint, (n) => tensorF32(n, data, dims));
    this.state.constCache.set(key, name);
    return name;
  }

  scalar(value: number): string {
    return this.constant([value], []);
  }

  /** float32 initializer that is never shared (a weight); `hint` is the preferred name. */
  initializerF32(values: ArrayLike<number>, dims: readonly number[], hint?: string): string {
    return this.addInit('w', hint, (n) => tensorF32(n, values, dims));
  }

  /** FLOAT16 initializer (raw little-endian halves); a Uint16Array is taken as half bit patterns. */
  initializerF16(values: Uint16Array | ArrayLike<number>, dims: readonly number[], hint?: string): string {
    return this.addInit('w', hint, (n) => tensorF16(n, values, dims));
  }

  initializerI8(values: ArrayLike<number>, dims: readonly number[], hint?: string): string {
    return this.addInit('q', hint, (n) => tensorI8(n, values, dims));
  }

  initializerU8(values: ArrayLike<number>, dims: readonly number[], hint?: string): string {
    return this.addInit('q', hint, (n) => tensorU8(n, values, dims));
  }

  initializerI32(values: ArrayLike<number>, dims: readonly number[], hint?: string): string {
    return this.addInit('i', hint, (n) => tensorI32(n, values, dims));
  }

  initializerI64(values: ArrayLike<number | bigint>, dims: readonly number[], hint?: string): string {
    return this.addInit('i', hint, (n) => tensorI64(n, values, dims));
  }

  private addInit(prefix: string, hint: string | undefined, make: (name: string) => TensorProto): string {
    const name = this.state.fresh(prefix, hint);
    const root = this.root();
    root.defined.add(name);
    return this.state.addInitializer(make(name));
  }

  node(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attr>>, hint?: string): string {
    return this.nodeMulti(op, inputs, 1, attrs, hint)[0];
  }

  nodeMulti(
    op: string,
    inputs: readonly string[],
    outputCount: number,
    attrs?: Readonly<Record<string, Attr>>,
    hint?: string,
  ): string[] {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(op))
      throw new OnnxError(`node op '${op}' is not an ONNX operator name`);
    if (!Number.isInteger(outputCount) || outputCount < 1) {
      throw new OnnxError(`${op}: outputCount ${outputCount} must be a positive integer`);
    }
    const resolved = inputs.map((name) => (name === '' ? name : this.state.resolve(name)));
    for (const [i, name] of resolved.entries()) {
      // '' marks an omitted optional input, which ONNX allows.
      if (name === '') continue;
      if (!this.defined.has(name)) {
        if (!this.isVisible(name)) {
          throw new OnnxError(
            `${op}${hint ? ` (${hint})` : ''}: input ${i} '${name}' is not defined in this graph`,
          );
        }
        this.state.captured.add(name);
      }
    }
    const attribute = Object.entries(attrs ?? {}).map(([k, a]) => toAttribute(op, k, a));
    const output: string[] = [];
    for (let i = 0; i < outputCount; i++) {
      const name = this.state.fresh('t', hint);
      this.defined.add(name);
      output.push(name);
    }
    const node = this.pushNode(op, resolved, output, attribute);
    for (const name of output) this.producers.set(name, node);
    return output;
  }

  private pushNode(op: string, input: string[], output: string[], attribute?: AttributeProto[]): NodeProto {
    const node: NodeProto = { opType: op, input, output };
    if (attribute && attribute.length > 0) node.attribute = attribute;
    if (this.state.nodeNames) node.name = this.state.fresh('n');
    this.nodes.push(node);
    return node;
  }

  /** A child graph for a control-flow body (Scan, Loop, If); it may read this scope's tensors. */
  subgraph(name = 'body'): SubgraphBuilder {
    return new SubgraphBuilder(this.state, this, name);
  }

  protected graphProto(name: string, docString?: string): GraphProto {
    const graph: GraphProto = { name, node: this.nodes, input: this.inputs, output: this.outputs };
    if (docString) graph.docString = docString;
    return graph;
  }
}

/** A Scan/Loop/If body. Finish it to get the handle for a `{ graph: handle }` attribute. */
export class SubgraphBuilder extends GraphScope {
  private finished = false;

  constructor(
    state: ModelState,
    parent: GraphScope,
    private readonly name: string,
  ) {
    super(state, parent);
  }

  finish(): SubgraphHandle {
    if (this.finished) throw new OnnxError(`subgraph '${this.name}': finish() called twice`);
    if (this.outputs.length === 0) throw new OnnxError(`subgraph '${this.name}' declares no outputs`);
    this.finished = true;
    const handle: SubgraphHandle = Object.freeze({ kind: 'subgraph' as const });
    subgraphProtos.set(handle, { proto: this.graphProto(this.name), used: false });
    return handle;
  }
}

/** Builds one ONNX model; see the file header for naming and scoping rules. */
export class OnnxModelBuilder extends GraphScope {
  private readonly metadata: { key: string; value: string }[] = [];

  constructor(private readonly options: OnnxModelOptions) {
    super(new ModelState(options.nodeNames ?? false), undefined);
    if (!options.graphName) throw new OnnxError('OnnxModelBuilder: graphName must be a non-empty string');
  }

  /**
   * A float32 graph input that also has an initializer of the same name: its default value
   * (valid since IR 4). Runtimes use the default when the feed omits it, so a device can
   * override τ without rebuilding the model.
   */
  inputWithDefault(name: string, values: ArrayLike<number>, dims: readonly number[]): string {
    this.input(name, 'float32', dims);
    this.state.addInitializer(tensorF32(name, values, dims));
    return name;
  }

  /** A metadata_props entry (e.g. the measured accuracy loss of a quantised model). */
  meta(key: string, value: string): void {
    if (this.metadata.some((m) => m.key === key)) throw new OnnxError(`metadata key '${key}' is set twice`);
    this.metadata.push({ key, value });
  }

  /** The ModelProto message, for callers that want to inspect it before encoding. */
  toProto(): InstanceType<typeof onnx.ModelProto> {
    if (this.outputs.length === 0)
      throw new OnnxError(`model '${this.options.graphName}' declares no outputs`);
    const graph = this.graphProto(this.options.graphName, this.options.docString);
    graph.initializer = this.state.initializers;
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: ONNX_PRODUCER,
      graph,
      metadataProps: this.metadata,
    });
    if (this.options.producerVersion) model.producerVersion = this.options.producerVersion;
    return model;
  }

  /** The encoded model, ready to write to a .onnx file or hand to an engine. */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toProto()).finish();
  }
}
