var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// shared/errors.ts
var LiquidkanError, InputError, ShapeError, SchemaError, LibraryEntryError, ModelError, ProfileError, OnnxError;
var init_errors = __esm({
  "shared/errors.ts"() {
    "use strict";
    LiquidkanError = class extends Error {
      code;
      constructor(code, message2, options) {
        super(message2, options);
        this.code = code;
        this.name = new.target.name;
      }
    };
    InputError = class extends LiquidkanError {
      constructor(message2, options) {
        super("E_INPUT", message2, options);
      }
    };
    ShapeError = class extends LiquidkanError {
      constructor(message2, options) {
        super("E_SHAPE", message2, options);
      }
    };
    SchemaError = class extends LiquidkanError {
      file;
      field;
      constructor(file, field, message2, options) {
        super("E_SCHEMA", `${file}: ${field ? `field '${field}': ` : ""}${message2}`, options);
        this.file = file;
        this.field = field;
      }
    };
    LibraryEntryError = class extends LiquidkanError {
      constructor(message2, options) {
        super("E_LIBRARY_ENTRY", message2, options);
      }
    };
    ModelError = class extends LiquidkanError {
      constructor(message2, options) {
        super("E_MODEL", message2, options);
      }
    };
    ProfileError = class extends LiquidkanError {
      constructor(message2, options) {
        super("E_PROFILE", message2, options);
      }
    };
    OnnxError = class extends LiquidkanError {
      constructor(message2, options) {
        super("E_ONNX", message2, options);
      }
    };
  }
});

// shared/onnx/float16.ts
function float32ToFloat16Bits(value) {
  f32[0] = value;
  const x = u32[0];
  const sign = x >>> 16 & 32768;
  const exp = x >>> 23 & 255;
  const mant = x & 8388607;
  if (exp === 255) {
    return mant === 0 ? sign | 31744 : sign | 32256 | mant >>> 13;
  }
  const halfExp = exp - 127 + 15;
  if (halfExp >= 31) return sign | 31744;
  if (halfExp <= 0) {
    if (exp === 0) return sign;
    const full = mant | 8388608;
    const shift = 126 - exp;
    if (shift > 24) return sign;
    let m = full >>> shift;
    const rem2 = full & (1 << shift) - 1;
    const halfway = 1 << shift - 1;
    if (rem2 > halfway || rem2 === halfway && (m & 1) === 1) m++;
    return sign | m;
  }
  let h = sign | halfExp << 10 | mant >>> 13;
  const rem = mant & 8191;
  if (rem > 4096 || rem === 4096 && (h & 1) === 1) h++;
  return h;
}
function float16BitsToFloat32(bits) {
  const sign = (bits & 32768) << 16;
  const exp = bits >>> 10 & 31;
  const mant = bits & 1023;
  if (exp === 0) {
    const magnitude = mant * 2 ** -24;
    return sign ? -magnitude : magnitude;
  }
  if (exp === 31) {
    u32[0] = sign | 2139095040 | mant << 13;
    return f32[0];
  }
  u32[0] = sign | exp - 15 + 127 << 23 | mant << 13;
  return f32[0];
}
function toFloat16(values) {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}
function fromFloat16(bits) {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}
function roundToFloat16(values) {
  return fromFloat16(toFloat16(values));
}
var f32, u32;
var init_float16 = __esm({
  "shared/onnx/float16.ts"() {
    "use strict";
    f32 = new Float32Array(1);
    u32 = new Uint32Array(f32.buffer);
  }
});

// shared/onnx/tensor-proto.ts
import onnxProto from "onnx-proto";
function valueInfo(name, elemType, dims) {
  const dim = dims.map((d) => {
    if (typeof d === "string") {
      if (d === "") throw new OnnxError(`value '${name}': a symbolic dimension needs a non-empty name`);
      return { dimParam: d };
    }
    if (!Number.isInteger(d) || d < 0) {
      throw new OnnxError(`value '${name}': dimension ${d} must be a non-negative integer or a name`);
    }
    return { dimValue: d };
  });
  return { name, type: { tensorType: { elemType: DATA_TYPE[elemType], shape: { dim } } } };
}
function elementCount(name, dims) {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new OnnxError(
        `tensor '${name}': dimension ${d} in [${dims.join(", ")}] is not a non-negative integer`
      );
    }
    n *= d;
  }
  return n;
}
function checkCount(name, length, dims) {
  const n = elementCount(name, dims);
  if (n !== length) {
    throw new OnnxError(
      `tensor '${name}': ${length} values do not fill shape [${dims.join(", ")}] (${n} elements)`
    );
  }
}
function checkIntRange(name, values, lo, hi, type) {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new OnnxError(`tensor '${name}': element ${i} = ${v} is not a ${type} (${lo}..${hi})`);
    }
  }
}
function tensor(name, elemType, dims, raw) {
  return { name, dataType: DATA_TYPE[elemType], dims: [...dims], rawData: raw };
}
function tensorF32(name, values, dims) {
  checkCount(name, values.length, dims);
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return tensor(name, "float32", dims, raw);
}
function tensorF16(name, values, dims) {
  checkCount(name, values.length, dims);
  const bits = values instanceof Uint16Array ? values : toFloat16(values);
  const raw = new Uint8Array(bits.length * 2);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < bits.length; i++) view.setUint16(i * 2, bits[i], true);
  return tensor(name, "float16", dims, raw);
}
function tensorI8(name, values, dims) {
  checkCount(name, values.length, dims);
  checkIntRange(name, values, -128, 127, "int8");
  const raw = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) raw[i] = values[i] & 255;
  return tensor(name, "int8", dims, raw);
}
function tensorU8(name, values, dims) {
  checkCount(name, values.length, dims);
  checkIntRange(name, values, 0, 255, "uint8");
  return tensor(name, "uint8", dims, Uint8Array.from(values));
}
function tensorI32(name, values, dims) {
  checkCount(name, values.length, dims);
  checkIntRange(name, values, -(2 ** 31), 2 ** 31 - 1, "int32");
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setInt32(i * 4, values[i], true);
  return tensor(name, "int32", dims, raw);
}
function tensorI64(name, values, dims) {
  checkCount(name, values.length, dims);
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === "number" && !Number.isSafeInteger(v)) {
      throw new OnnxError(`tensor '${name}': element ${i} = ${v} is not a safe integer for int64`);
    }
    view.setBigInt64(i * 8, BigInt(v), true);
  }
  return tensor(name, "int64", dims, raw);
}
function decodeFloat32Tensor(t) {
  const name = t.name ?? "(unnamed)";
  if (t.dataType !== DATA_TYPE.float32)
    throw new OnnxError(`tensor '${name}': data type ${t.dataType} is not FLOAT`);
  const dims = (t.dims ?? []).map((d) => typeof d === "number" ? d : d.toNumber());
  const n = elementCount(name, dims);
  let data;
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
var onnx, DATA_TYPE;
var init_tensor_proto = __esm({
  "shared/onnx/tensor-proto.ts"() {
    "use strict";
    init_errors();
    init_float16();
    ({ onnx } = onnxProto);
    DATA_TYPE = Object.freeze({
      float32: 1,
      uint8: 2,
      int8: 3,
      int32: 6,
      int64: 7,
      bool: 9,
      float16: 10
    });
  }
});

// shared/onnx/model-builder.ts
function toAttribute(op, name, attr) {
  const T = onnx.AttributeProto.AttributeType;
  if ("f" in attr) return { name, type: T.FLOAT, f: attr.f };
  if ("i" in attr) {
    if (!Number.isSafeInteger(attr.i))
      throw new OnnxError(`${op}: attribute '${name}' = ${attr.i} is not an integer`);
    return { name, type: T.INT, i: attr.i };
  }
  if ("s" in attr) return { name, type: T.STRING, s: new TextEncoder().encode(attr.s) };
  if ("floats" in attr) return { name, type: T.FLOATS, floats: [...attr.floats] };
  if ("ints" in attr) {
    const bad = attr.ints.find((v) => !Number.isSafeInteger(v));
    if (bad !== void 0) throw new OnnxError(`${op}: attribute '${name}' holds non-integer ${bad}`);
    return { name, type: T.INTS, ints: [...attr.ints] };
  }
  const entry = subgraphProtos.get(attr.graph);
  if (!entry) throw new OnnxError(`${op}: attribute '${name}' is not a graph made by subgraph().finish()`);
  if (entry.used)
    throw new OnnxError(`${op}: attribute '${name}': a subgraph can be attached to one node only`);
  entry.used = true;
  return { name, type: T.GRAPH, g: entry.proto };
}
var ONNX_IR_VERSION, ONNX_OPSET, ONNX_PRODUCER, subgraphProtos, ModelState, GraphScope, SubgraphBuilder, OnnxModelBuilder;
var init_model_builder = __esm({
  "shared/onnx/model-builder.ts"() {
    "use strict";
    init_errors();
    init_tensor_proto();
    ONNX_IR_VERSION = 8;
    ONNX_OPSET = 17;
    ONNX_PRODUCER = "liquidkan";
    subgraphProtos = /* @__PURE__ */ new WeakMap();
    ModelState = class {
      constructor(nodeNames) {
        this.nodeNames = nodeNames;
      }
      nodeNames;
      used = /* @__PURE__ */ new Set();
      initializers = [];
      constCache = /* @__PURE__ */ new Map();
      /** Node outputs renamed by output(): old name → graph output name. */
      aliases = /* @__PURE__ */ new Map();
      /** Names read by a node of a scope other than the one defining them (a subgraph's outer reads). */
      captured = /* @__PURE__ */ new Set();
      counters = /* @__PURE__ */ new Map();
      /** Reserve a caller-chosen name; duplicates are an error because ONNX names are global. */
      claim(name, what) {
        if (name === "") throw new OnnxError(`${what}: empty name`);
        if (this.used.has(name)) throw new OnnxError(`${what} '${name}': name is already used in this model`);
        this.used.add(name);
      }
      /** A fresh unused name: the hint itself if free, else prefix + counter. */
      fresh(prefix, hint) {
        if (hint && !this.used.has(hint)) {
          this.used.add(hint);
          return hint;
        }
        const base = hint ?? prefix;
        let k = this.counters.get(base) ?? 0;
        let name = `${base}${hint ? "_" : ""}${k}`;
        while (this.used.has(name)) name = `${base}${hint ? "_" : ""}${++k}`;
        this.counters.set(base, k + 1);
        this.used.add(name);
        return name;
      }
      /** The current name of a tensor (after output() renamed it); names are never renamed twice. */
      resolve(name) {
        return this.aliases.get(name) ?? name;
      }
      addInitializer(proto) {
        this.initializers.push(proto);
        return proto.name;
      }
    };
    GraphScope = class {
      constructor(state, parent) {
        this.state = state;
        this.parent = parent;
      }
      state;
      parent;
      nodes = [];
      inputs = [];
      outputs = [];
      /** Names defined in this scope (inputs, node outputs; the main graph also holds initializers). */
      defined = /* @__PURE__ */ new Set();
      /** The node of this scope that makes each node output, for output() to rename it. */
      producers = /* @__PURE__ */ new Map();
      /** Whether `name` may be read here: defined in this scope or an enclosing one. */
      isVisible(name) {
        return this.defined.has(name) || (this.parent?.isVisible(name) ?? false);
      }
      root() {
        return this.parent ? this.parent.root() : this;
      }
      /** Declare a graph input. dims may mix sizes and symbolic names ('N'). Returns the name. */
      input(name, elemType, dims) {
        this.state.claim(name, "input");
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
      output(name, elemType, dims, source) {
        if (source !== void 0) source = this.state.resolve(source);
        if (source !== void 0 && source !== name) {
          if (!this.isVisible(source))
            throw new OnnxError(`output '${name}': source tensor '${source}' is not defined`);
          this.state.claim(name, "output");
          const producer = this.producers.get(source);
          if (producer !== void 0 && !this.state.captured.has(source) && !this.outputs.some((o) => o.name === source)) {
            this.rename(producer, source, name);
          } else {
            if (!this.defined.has(source)) this.state.captured.add(source);
            this.defined.add(name);
            this.pushNode("Identity", [source], [name]);
          }
        } else if (!this.defined.has(name)) {
          throw new OnnxError(`output '${name}': no node in this graph produces it (pass its source tensor)`);
        }
        if (this.outputs.some((o) => o.name === name)) throw new OnnxError(`output '${name}' is declared twice`);
        this.outputs.push(valueInfo(name, elemType, dims));
        return name;
      }
      /** Renames node output `from` to `to` in this scope; later uses of `from` resolve to `to`. */
      rename(producer, from, to) {
        producer.output = (producer.output ?? []).map((o) => o === from ? to : o);
        for (const node of this.nodes) {
          if (node.input?.includes(from)) node.input = node.input.map((i) => i === from ? to : i);
        }
        this.producers.delete(from);
        this.producers.set(to, producer);
        this.defined.delete(from);
        this.defined.add(to);
        this.state.aliases.set(from, to);
      }
      /** float32 initializer. Identical constants (same shape and float32 bits) share one tensor. */
      constant(values, dims, hint) {
        const data = Float32Array.from(values);
        const key = `${dims.join("x")}:${new Uint32Array(data.buffer).join(",")}`;
        const hit = this.state.constCache.get(key);
        if (hit !== void 0) return hit;
        const name = this.addInit("c", hint, (n) => tensorF32(n, data, dims));
        this.state.constCache.set(key, name);
        return name;
      }
      scalar(value) {
        return this.constant([value], []);
      }
      /** float32 initializer that is never shared (a weight); `hint` is the preferred name. */
      initializerF32(values, dims, hint) {
        return this.addInit("w", hint, (n) => tensorF32(n, values, dims));
      }
      /** FLOAT16 initializer (raw little-endian halves); a Uint16Array is taken as half bit patterns. */
      initializerF16(values, dims, hint) {
        return this.addInit("w", hint, (n) => tensorF16(n, values, dims));
      }
      initializerI8(values, dims, hint) {
        return this.addInit("q", hint, (n) => tensorI8(n, values, dims));
      }
      initializerU8(values, dims, hint) {
        return this.addInit("q", hint, (n) => tensorU8(n, values, dims));
      }
      initializerI32(values, dims, hint) {
        return this.addInit("i", hint, (n) => tensorI32(n, values, dims));
      }
      initializerI64(values, dims, hint) {
        return this.addInit("i", hint, (n) => tensorI64(n, values, dims));
      }
      addInit(prefix, hint, make) {
        const name = this.state.fresh(prefix, hint);
        const root = this.root();
        root.defined.add(name);
        return this.state.addInitializer(make(name));
      }
      node(op, inputs, attrs, hint) {
        return this.nodeMulti(op, inputs, 1, attrs, hint)[0];
      }
      nodeMulti(op, inputs, outputCount, attrs, hint) {
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(op))
          throw new OnnxError(`node op '${op}' is not an ONNX operator name`);
        if (!Number.isInteger(outputCount) || outputCount < 1) {
          throw new OnnxError(`${op}: outputCount ${outputCount} must be a positive integer`);
        }
        const resolved = inputs.map((name) => name === "" ? name : this.state.resolve(name));
        for (const [i, name] of resolved.entries()) {
          if (name === "") continue;
          if (!this.defined.has(name)) {
            if (!this.isVisible(name)) {
              throw new OnnxError(
                `${op}${hint ? ` (${hint})` : ""}: input ${i} '${name}' is not defined in this graph`
              );
            }
            this.state.captured.add(name);
          }
        }
        const attribute = Object.entries(attrs ?? {}).map(([k, a]) => toAttribute(op, k, a));
        const output = [];
        for (let i = 0; i < outputCount; i++) {
          const name = this.state.fresh("t", hint);
          this.defined.add(name);
          output.push(name);
        }
        const node = this.pushNode(op, resolved, output, attribute);
        for (const name of output) this.producers.set(name, node);
        return output;
      }
      pushNode(op, input, output, attribute) {
        const node = { opType: op, input, output };
        if (attribute && attribute.length > 0) node.attribute = attribute;
        if (this.state.nodeNames) node.name = this.state.fresh("n");
        this.nodes.push(node);
        return node;
      }
      /** A child graph for a control-flow body (Scan, Loop, If); it may read this scope's tensors. */
      subgraph(name = "body") {
        return new SubgraphBuilder(this.state, this, name);
      }
      graphProto(name, docString) {
        const graph = { name, node: this.nodes, input: this.inputs, output: this.outputs };
        if (docString) graph.docString = docString;
        return graph;
      }
    };
    SubgraphBuilder = class extends GraphScope {
      constructor(state, parent, name) {
        super(state, parent);
        this.name = name;
      }
      name;
      finished = false;
      finish() {
        if (this.finished) throw new OnnxError(`subgraph '${this.name}': finish() called twice`);
        if (this.outputs.length === 0) throw new OnnxError(`subgraph '${this.name}' declares no outputs`);
        this.finished = true;
        const handle = Object.freeze({ kind: "subgraph" });
        subgraphProtos.set(handle, { proto: this.graphProto(this.name), used: false });
        return handle;
      }
    };
    OnnxModelBuilder = class extends GraphScope {
      constructor(options) {
        super(new ModelState(options.nodeNames ?? false), void 0);
        this.options = options;
        if (!options.graphName) throw new OnnxError("OnnxModelBuilder: graphName must be a non-empty string");
      }
      options;
      metadata = [];
      /**
       * A float32 graph input that also has an initializer of the same name: its default value
       * (valid since IR 4). Runtimes use the default when the feed omits it, so a device can
       * override τ without rebuilding the model.
       */
      inputWithDefault(name, values, dims) {
        this.input(name, "float32", dims);
        this.state.addInitializer(tensorF32(name, values, dims));
        return name;
      }
      /** A metadata_props entry (e.g. the measured accuracy loss of a quantised model). */
      meta(key, value) {
        if (this.metadata.some((m) => m.key === key)) throw new OnnxError(`metadata key '${key}' is set twice`);
        this.metadata.push({ key, value });
      }
      /** The ModelProto message, for callers that want to inspect it before encoding. */
      toProto() {
        if (this.outputs.length === 0)
          throw new OnnxError(`model '${this.options.graphName}' declares no outputs`);
        const graph = this.graphProto(this.options.graphName, this.options.docString);
        graph.initializer = this.state.initializers;
        const model2 = onnx.ModelProto.create({
          irVersion: ONNX_IR_VERSION,
          opsetImport: [{ domain: "", version: ONNX_OPSET }],
          producerName: ONNX_PRODUCER,
          graph,
          metadataProps: this.metadata
        });
        if (this.options.producerVersion) model2.producerVersion = this.options.producerVersion;
        return model2;
      }
      /** The encoded model, ready to write to a .onnx file or hand to an engine. */
      toBytes() {
        return onnx.ModelProto.encode(this.toProto()).finish();
      }
    };
  }
});

// shared/engines/native.ts
var native_exports = {};
__export(native_exports, {
  nativeEngine: () => nativeEngine
});
async function loadOrt() {
  const mod = await import("onnxruntime-node");
  const ort = mod.InferenceSession ? mod : mod.default;
  await smokeTest("native", ort, sessionOptions({ optimization: "basic" }));
  return ort;
}
function sessionOptions(options) {
  const { optimization, threads } = checkLoadOptions(options);
  return {
    executionProviders: ["cpu"],
    graphOptimizationLevel: optimization,
    logSeverityLevel: LOG_ERRORS_ONLY,
    ...threads === void 0 ? {} : { intraOpNumThreads: threads, interOpNumThreads: threads }
  };
}
var LOG_ERRORS_ONLY, nativeEngine;
var init_native = __esm({
  "shared/engines/native.ts"() {
    "use strict";
    init_ort_session();
    LOG_ERRORS_ONLY = 3;
    nativeEngine = ortEngine(
      "native",
      loadOrt,
      sessionOptions,
      "onnxruntime-node is unavailable"
    );
  }
});

// shared/engines/wasm.ts
var wasm_exports = {};
__export(wasm_exports, {
  wasmEngine: () => wasmEngine
});
async function loadOrt2() {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const mod = ort;
  await smokeTest("wasm", mod, sessionOptions2({ optimization: "basic" }));
  return mod;
}
function sessionOptions2(options) {
  const { optimization } = checkLoadOptions(options);
  return {
    executionProviders: ["wasm"],
    graphOptimizationLevel: optimization,
    logSeverityLevel: LOG_ERRORS_ONLY2
  };
}
var LOG_ERRORS_ONLY2, wasmEngine;
var init_wasm = __esm({
  "shared/engines/wasm.ts"() {
    "use strict";
    init_ort_session();
    LOG_ERRORS_ONLY2 = 3;
    wasmEngine = ortEngine(
      "wasm",
      loadOrt2,
      sessionOptions2,
      "onnxruntime-web could not start"
    );
  }
});

// shared/engines/engine.ts
async function getEngine(name) {
  const engine = registry.get(name);
  if (engine) return engine;
  const load = Object.hasOwn(builtins, name) ? builtins[name] : void 0;
  if (!load)
    throw new OnnxError(`engine '${name}' is unknown (allowed: ${Object.keys(builtins).join(", ")})`);
  return load();
}
var DEFAULT_LOAD_OPTIONS, builtins, registry;
var init_engine = __esm({
  "shared/engines/engine.ts"() {
    "use strict";
    init_errors();
    DEFAULT_LOAD_OPTIONS = Object.freeze({
      optimization: "basic"
    });
    builtins = {
      native: async () => (await Promise.resolve().then(() => (init_native(), native_exports))).nativeEngine,
      wasm: async () => (await Promise.resolve().then(() => (init_wasm(), wasm_exports))).wasmEngine,
      js: async () => (await Promise.resolve().then(() => (init_engine2(), engine_exports))).compiledEngine
    };
    registry = /* @__PURE__ */ new Map();
  }
});

// shared/engines/ort-session.ts
function message(err) {
  return err instanceof Error ? err.message : String(err);
}
function ortRunner(session2, outputNames) {
  const handler = session2.handler;
  if (handler && typeof handler.run === "function") {
    const h = handler;
    return (feeds) => {
      const fetches = {};
      for (const name of outputNames) fetches[name] = null;
      return h.run(feeds, fetches, {});
    };
  }
  return (feeds) => session2.run(feeds);
}
function sameDims(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
async function createOrtSession(engine, ort, model2, sessionOptions3, fastPath = true) {
  let session2;
  try {
    session2 = await ort.InferenceSession.create(model2.bytes, sessionOptions3);
  } catch (err) {
    throw new OnnxError(
      `${engine} engine: cannot load the model (${model2.bytes.length} bytes): ${message(err)}`,
      {
        cause: err
      }
    );
  }
  const inputNames = [...session2.inputNames];
  const outputNames = [...session2.outputNames];
  const inputSet = new Set(inputNames);
  const runOrt = fastPath ? ortRunner(session2, outputNames) : (f) => session2.run(f);
  const slots = /* @__PURE__ */ new Map();
  let pending = 0;
  function feedTensor(name, t, canReuse) {
    if (!canReuse) return new ort.Tensor("float32", t.data, t.dims);
    let slot = slots.get(name);
    if (!slot || !sameDims(slot.dims, t.dims)) {
      const buffer = new Float32Array(t.data.length);
      const dims = [...t.dims];
      slot = { dims, buffer, tensor: new ort.Tensor("float32", buffer, dims) };
      slots.set(name, slot);
    }
    slot.buffer.set(t.data);
    return slot.tensor;
  }
  return {
    engine,
    inputNames,
    outputNames,
    defaults: model2.defaults,
    async run(feeds) {
      for (const name of Object.keys(feeds)) {
        if (!inputSet.has(name)) {
          throw new OnnxError(
            `${engine} engine: feed '${name}' is not a model input (inputs: ${inputNames.join(", ")})`
          );
        }
      }
      const canReuse = fastPath && pending === 0;
      const ortFeeds = {};
      for (const name of inputNames) {
        const t = feeds[name] ?? model2.defaults[name];
        if (!t) throw new OnnxError(`${engine} engine: input '${name}' is missing and has no default`);
        let n = 1;
        for (const d of t.dims) n *= d;
        if (!(t.data instanceof Float32Array) || t.data.length !== n) {
          throw new OnnxError(
            `${engine} engine: input '${name}' needs a Float32Array of ${n} values for dims [${t.dims.join(", ")}]`
          );
        }
        ortFeeds[name] = feedTensor(name, t, canReuse);
      }
      let results;
      pending++;
      try {
        results = await runOrt(ortFeeds);
      } catch (err) {
        throw new OnnxError(`${engine} engine: run failed: ${message(err)}`, { cause: err });
      } finally {
        pending--;
      }
      const out = {};
      for (const name of outputNames) {
        const t = results[name];
        if (t?.type !== "float32" || !(t.data instanceof Float32Array)) {
          throw new OnnxError(
            `${engine} engine: output '${name}' is ${t?.type ?? "missing"}, only float32 outputs are supported`
          );
        }
        out[name] = { data: t.data, dims: t.dims };
      }
      return out;
    },
    release: () => session2.release()
  };
}
function checkLoadOptions(options) {
  const { threads, optimization = DEFAULT_LOAD_OPTIONS.optimization, fastPath = true } = options;
  if (typeof fastPath !== "boolean") throw new RangeError(`fastPath must be a boolean, got ${fastPath}`);
  if (threads !== void 0 && (!Number.isInteger(threads) || threads < 1)) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  if (!["disabled", "basic", "extended", "all"].includes(optimization)) {
    throw new RangeError(`optimization must be one of disabled, basic, extended, all; got '${optimization}'`);
  }
  return threads === void 0 ? { optimization, fastPath } : { optimization, fastPath, threads };
}
function prepareModel(bytes) {
  let model2;
  try {
    model2 = onnx.ModelProto.decode(bytes);
  } catch {
    return { bytes, defaults: {} };
  }
  const graph = model2.graph;
  if (!graph) return { bytes, defaults: {} };
  const inputs = new Set((graph.input ?? []).map((i) => i.name));
  const initializers = graph.initializer ?? [];
  const defaults = {};
  const kept = initializers.filter((t) => {
    if (!t.name || !inputs.has(t.name) || t.dataType !== DATA_TYPE.float32) return true;
    defaults[t.name] = decodeFloat32Tensor(t);
    return false;
  });
  if (kept.length === initializers.length) return { bytes, defaults };
  graph.initializer = kept;
  return { bytes: onnx.ModelProto.encode(model2).finish(), defaults };
}
function smokeModel() {
  const m = new OnnxModelBuilder({ graphName: "smoke" });
  const y = m.node("Add", [m.input("x", "float32", [1]), m.scalar(1)]);
  m.output("y", "float32", [1], y);
  return m.toBytes();
}
async function smokeTest(engine, ort, sessionOptions3) {
  const session2 = await createOrtSession(engine, ort, prepareModel(smokeModel()), sessionOptions3);
  try {
    const { y } = await session2.run({ x: { data: new Float32Array([1]), dims: [1] } });
    if (y.data[0] !== 2) throw new OnnxError(`${engine} engine: smoke test computed 1 + 1 = ${y.data[0]}`);
  } finally {
    await session2.release();
  }
}
function ortEngine(name, loadRuntime, sessionOptions3, unavailable) {
  let runtime;
  const start = () => {
    runtime ??= loadRuntime();
    return runtime;
  };
  return {
    name,
    async init() {
      await start();
    },
    async load(bytes, options = {}) {
      const opts = sessionOptions3(options);
      const { fastPath } = checkLoadOptions(options);
      let ort;
      try {
        ort = await start();
      } catch (err) {
        throw new OnnxError(`${name} engine: ${unavailable}: ${err.message}`, { cause: err });
      }
      return createOrtSession(name, ort, prepareModel(bytes), opts, fastPath);
    }
  };
}
var init_ort_session = __esm({
  "shared/engines/ort-session.ts"() {
    "use strict";
    init_errors();
    init_model_builder();
    init_tensor_proto();
    init_engine();
  }
});

// shared/activations/math.ts
function erfSeries(x) {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= 2 * x2 / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}
function erfcFraction(x) {
  let t = x;
  for (let n = 60; n >= 1; n--) t = x + n / 2 / t;
  return INV_SQRT_PI * Math.exp(-x * x) / t;
}
function erf(x) {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < ERF_SWITCH) return erfSeries(x);
  return x > 0 ? 1 - erfcFraction(x) : erfcFraction(-x) - 1;
}
function erfc(x) {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= ERF_SWITCH) return erfcFraction(x);
  if (x <= -ERF_SWITCH) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}
function normalPdf(x) {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
function sigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
function softplus(x) {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
var TWO_OVER_SQRT_PI, INV_SQRT_PI, INV_SQRT_2PI, ERF_SWITCH;
var init_math = __esm({
  "shared/activations/math.ts"() {
    "use strict";
    TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
    INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
    ERF_SWITCH = 3;
  }
});

// shared/engines/compiled/graph.ts
function isElementwise(op) {
  return ELEMENTWISE_UNARY.has(op) || ELEMENTWISE_BINARY.has(op);
}
function num(v) {
  return typeof v === "number" ? v : v.toNumber();
}
function dimsOf(t) {
  return (t.dims ?? []).map((d) => num(d));
}
function decodeInitializer(t) {
  const dims = dimsOf(t);
  const n = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : null;
  switch (t.dataType) {
    case DATA_TYPE.float32:
      return { value: decodeFloat32Tensor(t).data, ints: null, dims };
    case DATA_TYPE.float16: {
      const bits = raw ? new Uint16Array(Uint8Array.from(raw).buffer, 0, n) : Uint16Array.from(t.int32Data ?? []);
      return { value: fromFloat16(bits), ints: null, dims };
    }
    case DATA_TYPE.int8: {
      const q = raw ? new Int8Array(Uint8Array.from(raw).buffer, 0, n) : Int8Array.from(t.int32Data ?? []);
      return { value: Float32Array.from(q), ints: null, dims, int8: q };
    }
    case DATA_TYPE.int64: {
      let ints;
      if (raw) {
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        ints = Array.from({ length: n }, (_, i) => Number(view.getBigInt64(i * 8, true)));
      } else ints = (t.int64Data ?? []).map((v) => num(v));
      return { value: null, ints, dims };
    }
    default:
      throw new OnnxError(
        `js engine: initializer '${t.name}' has data type ${t.dataType}, which it does not read`
      );
  }
}
function attrValue(a) {
  if (a.ints && a.ints.length > 0) return a.ints.map((v) => num(v));
  if (a.type === onnx.AttributeProto.AttributeType.FLOAT) return a.f ?? 0;
  if (a.type === onnx.AttributeProto.AttributeType.INT) return num(a.i ?? 0);
  if (a.type === onnx.AttributeProto.AttributeType.INTS) return [];
  throw new OnnxError(`js engine: attribute '${a.name}' has a type it does not read`);
}
function broadcast(a, b) {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}
function decodeStepGraph(bytes) {
  let model2;
  try {
    model2 = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new OnnxError(`js engine: the model (${bytes.length} bytes) is not an ONNX ModelProto`, {
      cause: err
    });
  }
  const g = model2.graph;
  if (!g) throw new OnnxError("js engine: the model has no graph");
  const tensors = [];
  const byName = /* @__PURE__ */ new Map();
  const define = (name, dims) => {
    const t = {
      id: tensors.length,
      name,
      dims,
      size: dims.reduce((a, b) => a * b, 1),
      value: null,
      ints: null
    };
    tensors.push(t);
    byName.set(name, t);
    return t;
  };
  const initializers = /* @__PURE__ */ new Map();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? "", t);
  const int8 = /* @__PURE__ */ new Map();
  const inputs = [];
  for (const vi of g.input ?? []) {
    const name = vi.name ?? "";
    const tt = vi.type?.tensorType;
    if (tt?.elemType !== DATA_TYPE.float32) throw new OnnxError(`js engine: input '${name}' is not float32`);
    const dimProtos = tt.shape?.dim ?? [];
    const dims = dimProtos.map((d) => d.dimParam ? 1 : num(d.dimValue ?? 0));
    const t = define(name, dims);
    const init = initializers.get(name);
    inputs.push({
      tensor: t,
      batched: dimProtos.length > 0 && !!dimProtos[0]?.dimParam,
      default: init ? decodeInitializer(init).value : null
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
  const nodes = [];
  for (const [k, n] of (g.node ?? []).entries()) {
    const op = n.opType ?? "";
    const label2 = `node ${n.name || k} (${op})`;
    if ((n.domain ?? "") !== "")
      throw new OnnxError(`js engine: ${label2} is in domain '${n.domain}', not the ONNX default`);
    if (!isElementwise(op) && !STRUCTURAL.has(op)) {
      throw new OnnxError(`js engine: ${label2}: op ${op} is not compiled (onnxruntime serves this model)`);
    }
    if ((n.output ?? []).length !== 1)
      throw new OnnxError(`js engine: ${label2} has ${(n.output ?? []).length} outputs`);
    const ins = (n.input ?? []).map((name) => {
      if (name === "") return null;
      const t = byName.get(name);
      if (!t) throw new OnnxError(`js engine: ${label2} reads '${name}', which nothing defines before it`);
      return t;
    });
    const attrs = {};
    for (const a of n.attribute ?? []) attrs[a.name ?? ""] = attrValue(a);
    const outName = n.output[0];
    const need = (i) => {
      const t = ins[i];
      if (!t) throw new OnnxError(`js engine: ${label2} is missing input ${i}`);
      return t;
    };
    if (op === "DequantizeLinear") {
      const x = need(0);
      const scale2 = need(1);
      const zp = ins[2] ?? null;
      const q = int8.get(x);
      if (!q || !scale2.value || zp && !zp.value)
        throw new OnnxError(
          `js engine: ${label2} dequantises a tensor that is not a constant int8 initializer`
        );
      const axis = typeof attrs["axis"] === "number" ? attrs["axis"] : 1;
      const out = define(outName, x.dims);
      const a = axis < 0 ? axis + x.dims.length : axis;
      const inner = x.dims.slice(a + 1).reduce((p, d) => p * d, 1);
      const channels = scale2.size === 1 ? 1 : x.dims[a];
      const v = new Float32Array(x.size);
      for (let i = 0; i < x.size; i++) {
        const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
        v[i] = (q[i] - (zp?.value?.[c] ?? 0)) * scale2.value[c];
      }
      out.value = v;
      continue;
    }
    if (op === "Cast" && ins[0]?.value) {
      const out = define(outName, ins[0].dims);
      out.value = Float32Array.from(ins[0].value);
      continue;
    }
    let dims;
    if (isElementwise(op)) {
      const data = op === "Clip" ? ins.slice(0, 1) : ins;
      let shape = [...need(0).dims];
      for (const t of data.slice(1)) shape = shape && t ? broadcast(shape, t.dims) : shape;
      if (!shape) throw new OnnxError(`js engine: ${label2} inputs do not broadcast`);
      const size = shape.reduce((a, b) => a * b, 1);
      for (const t of ins) {
        if (t && t.size !== 1 && (t.size !== size || squeeze(t.dims) !== squeeze(shape))) {
          throw new OnnxError(
            `js engine: ${label2} needs a general broadcast of [${t.dims.join(", ")}] to [${shape.join(", ")}]`
          );
        }
      }
      if (op === "Cast" && attrs["to"] !== DATA_TYPE.float32)
        throw new OnnxError(`js engine: ${label2} casts to a type other than float32`);
      dims = shape;
    } else if (op === "Gemm") {
      const a = need(0);
      const b = need(1);
      if (a.dims.length !== 2 || b.dims.length !== 2)
        throw new OnnxError(`js engine: ${label2} needs 2-D operands`);
      const M = attrs["transA"] ? a.dims[1] : a.dims[0];
      const N = attrs["transB"] ? b.dims[0] : b.dims[1];
      const c = ins[2];
      if (c && c.size !== 1 && c.size !== N && c.size !== M * N)
        throw new OnnxError(`js engine: ${label2} bias has ${c.size} values for [${M}, ${N}]`);
      dims = [M, N];
    } else if (op === "Slice") {
      const data = need(0);
      const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => ins[i]?.ints ?? null);
      if (!starts || !ends || ins[3] && !axes || ins[4] && !steps)
        throw new OnnxError(`js engine: ${label2} has slice bounds that are not constants`);
      if (steps?.some((s) => s !== 1)) throw new OnnxError(`js engine: ${label2} has a step other than 1`);
      const d = [...data.dims];
      const ax = axes ?? starts.map((_, i) => i);
      const ranges = data.dims.map((n2) => [0, n2]);
      ax.forEach((axis0, i) => {
        const axis = axis0 < 0 ? axis0 + d.length : axis0;
        const n2 = data.dims[axis];
        const clamp = (v) => Math.min(Math.max(v < 0 ? v + n2 : v, 0), n2);
        ranges[axis] = [clamp(starts[i]), Math.max(clamp(starts[i]), clamp(ends[i]))];
        d[axis] = ranges[axis][1] - ranges[axis][0];
      });
      dims = d;
      attrs["ranges"] = ranges.flat();
    } else if (op === "Concat") {
      const axis0 = typeof attrs["axis"] === "number" ? attrs["axis"] : 0;
      const first = need(0);
      const axis = axis0 < 0 ? axis0 + first.dims.length : axis0;
      const d = [...first.dims];
      d[axis] = ins.reduce((s, t) => s + (t?.dims[axis] ?? 0), 0);
      dims = d;
      attrs["axis"] = axis;
    } else {
      throw new OnnxError(`js engine: ${label2}: op ${op} is not compiled (onnxruntime serves this model)`);
    }
    nodes.push({ op, name: n.name || `${k}`, inputs: ins, output: define(outName, dims), attrs });
  }
  const outputs = (g.output ?? []).map((vi) => {
    const t = byName.get(vi.name ?? "");
    if (!t) throw new OnnxError(`js engine: output '${vi.name}' is not computed by any node`);
    const first = vi.type?.tensorType?.shape?.dim?.[0];
    return { tensor: t, batched: !!first?.dimParam };
  });
  return { inputs, outputs, nodes, tensors };
}
var ELEMENTWISE_UNARY, ELEMENTWISE_BINARY, STRUCTURAL, squeeze;
var init_graph = __esm({
  "shared/engines/compiled/graph.ts"() {
    "use strict";
    init_errors();
    init_float16();
    init_tensor_proto();
    ELEMENTWISE_UNARY = /* @__PURE__ */ new Set([
      "Identity",
      "Neg",
      "Abs",
      "Relu",
      "LeakyRelu",
      "Tanh",
      "Sigmoid",
      "Exp",
      "Log",
      "Sqrt",
      "Sin",
      "Cos",
      "Atan",
      "Softplus",
      "Erf",
      "Cast",
      "Clip"
    ]);
    ELEMENTWISE_BINARY = /* @__PURE__ */ new Set(["Add", "Sub", "Mul", "Div"]);
    STRUCTURAL = /* @__PURE__ */ new Set(["DequantizeLinear", "Gemm", "Slice", "Concat"]);
    squeeze = (d) => d.filter((x) => x !== 1).join(",");
  }
});

// shared/engines/compiled/codegen.ts
function literal(v) {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "(-Infinity)";
  return v < 0 || Object.is(v, -0) ? `(${v === 0 ? "-0" : String(v)})` : String(v);
}
function elementwise(node, a) {
  const [x, y] = a;
  switch (node.op) {
    case "Add":
      return `${x} + ${y}`;
    case "Sub":
      return `${x} - ${y}`;
    case "Mul":
      return `${x} * ${y}`;
    case "Div":
      return `${x} / ${y}`;
    case "Identity":
    case "Cast":
      return x;
    case "Neg":
      return `-${x}`;
    case "Abs":
      return `Math.abs(${x})`;
    case "Relu":
      return `(${x} > 0 ? ${x} : 0)`;
    case "LeakyRelu": {
      const alpha = typeof node.attrs["alpha"] === "number" ? node.attrs["alpha"] : 0.01;
      return `(${x} > 0 ? ${x} : ${literal(Math.fround(alpha))} * ${x})`;
    }
    case "Tanh":
      return `Math.tanh(${x})`;
    case "Sigmoid":
      return `1 / (1 + Math.exp(-${x}))`;
    case "Exp":
      return `Math.exp(${x})`;
    case "Log":
      return `Math.log(${x})`;
    case "Sqrt":
      return `Math.sqrt(${x})`;
    case "Sin":
      return `Math.sin(${x})`;
    case "Cos":
      return `Math.cos(${x})`;
    case "Atan":
      return `Math.atan(${x})`;
    case "Softplus":
      return `(${x} > 0 ? ${x} + Math.log1p(Math.exp(-${x})) : Math.log1p(Math.exp(${x})))`;
    case "Erf":
      return `erf(${x})`;
    case "Clip": {
      let e = x;
      if (a[1] !== void 0) e = `Math.max(${e}, ${a[1]})`;
      if (a[2] !== void 0) e = `Math.min(${e}, ${a[2]})`;
      return e;
    }
    default:
      throw new Error(`unreachable: ${node.op}`);
  }
}
function compileStepGraph(graph) {
  const nodes = graph.nodes;
  const group = /* @__PURE__ */ new Map();
  const groupOf = [];
  let g = -1;
  let prevSize = -1;
  let prevFused = false;
  nodes.forEach((n, k2) => {
    const fused = isElementwise(n.op);
    if (!fused || !prevFused || n.output.size !== prevSize) g++;
    groupOf[k2] = g;
    group.set(n.output, g);
    prevFused = fused;
    prevSize = n.output.size;
  });
  const buffered = /* @__PURE__ */ new Set();
  for (const i of graph.inputs) buffered.add(i.tensor);
  for (const o of graph.outputs) buffered.add(o.tensor);
  nodes.forEach((n, k2) => {
    const fused = isElementwise(n.op);
    for (const t of n.inputs) {
      if (!t) continue;
      if (t.value) {
        if (t.size !== 1 || !fused) buffered.add(t);
        continue;
      }
      if (!fused || group.get(t) !== groupOf[k2]) buffered.add(t);
    }
  });
  const buffers = [];
  const slot = /* @__PURE__ */ new Map();
  for (const t of graph.tensors) {
    if (!buffered.has(t)) continue;
    slot.set(t, buffers.length);
    buffers.push(t.value ? Float32Array.from(t.value) : new Float32Array(t.size));
  }
  const buf = (t) => `b${slot.get(t)}`;
  const lines = [];
  const locals = /* @__PURE__ */ new Set();
  const operand = (t, index) => {
    if (t.value && t.size === 1) return literal(t.value[0]);
    if (locals.has(t)) return `v${t.id}`;
    return t.size === 1 ? `${buf(t)}[0]` : `${buf(t)}[${index}]`;
  };
  let k = 0;
  while (k < nodes.length) {
    const n = nodes[k];
    if (isElementwise(n.op)) {
      const end = groupOf.lastIndexOf(groupOf[k]) + 1;
      const size = n.output.size;
      const idx = size === 1 ? "0" : "i";
      const body = [];
      locals.clear();
      for (let j = k; j < end; j++) {
        const m = nodes[j];
        const args = m.inputs.map((t) => t ? operand(t, idx) : void 0);
        body.push(`const v${m.output.id} = Math.fround(${elementwise(m, args)});`);
        locals.add(m.output);
        if (buffered.has(m.output)) body.push(`${buf(m.output)}[${idx}] = v${m.output.id};`);
      }
      if (size === 1) lines.push("{", ...body, "}");
      else lines.push(`for (let i = 0; i < ${size}; i++) {`, ...body, "}");
      locals.clear();
      k = end;
      continue;
    }
    lines.push(...emitStructural(n, buf));
    k++;
  }
  const names = buffers.map((_, i) => `b${i}`);
  const source = `"use strict";
const [${names.join(", ")}] = B;
return function step() {
${lines.join("\n")}
};`;
  const factory = new Function("B", "erf", source);
  const step = factory(buffers, erf);
  const inputs = {};
  for (const i of graph.inputs) inputs[i.tensor.name] = buffers[slot.get(i.tensor)];
  const outputs = {};
  for (const o of graph.outputs) outputs[o.tensor.name] = buffers[slot.get(o.tensor)];
  return { inputs, outputs, step, source };
}
function emitStructural(n, buf) {
  const out = buf(n.output);
  if (n.op === "Gemm") {
    const [a, b, c] = n.inputs;
    const alpha = typeof n.attrs["alpha"] === "number" ? n.attrs["alpha"] : 1;
    const beta = typeof n.attrs["beta"] === "number" ? n.attrs["beta"] : 1;
    const transA = !!n.attrs["transA"];
    const transB = !!n.attrs["transB"];
    const [M, N] = n.output.dims;
    const K = transA ? a.dims[0] : a.dims[1];
    const aIdx = transA ? `k * ${M} + m` : `m * ${K} + k`;
    const bIdx = transB ? `n * ${K} + k` : `k * ${N} + n`;
    let bias = "0";
    if (c) bias = c.size === 1 ? `${buf(c)}[0]` : c.size === N ? `${buf(c)}[n]` : `${buf(c)}[m * ${N} + n]`;
    const scaledSum = alpha === 1 ? "s" : `${literal(Math.fround(alpha))} * s`;
    const scaledBias = beta === 1 ? bias : `${literal(Math.fround(beta))} * ${bias}`;
    if (M === 1 && !transA && transB) {
      const A = buf(a);
      const W = buf(b);
      const K4 = K - K % 4;
      return [
        `for (let n = 0, o = 0; n < ${N}; n++, o += ${K}) {`,
        "let s0 = 0, s1 = 0, s2 = 0, s3 = 0;",
        `for (let k = 0; k < ${K4}; k += 4) { s0 += ${A}[k] * ${W}[o + k]; s1 += ${A}[k + 1] * ${W}[o + k + 1]; s2 += ${A}[k + 2] * ${W}[o + k + 2]; s3 += ${A}[k + 3] * ${W}[o + k + 3]; }`,
        K4 < K ? `for (let k = ${K4}; k < ${K}; k++) s0 += ${A}[k] * ${W}[o + k];` : "",
        "const s = (s0 + s1) + (s2 + s3);",
        `${out}[n] = Math.fround(${scaledSum} + ${scaledBias.replace("[m * " + N + " + n]", "[n]")});`,
        "}"
      ];
    }
    return [
      `for (let m = 0; m < ${M}; m++) for (let n = 0; n < ${N}; n++) {`,
      "let s = 0;",
      `for (let k = 0; k < ${K}; k++) s += ${buf(a)}[${aIdx}] * ${buf(b)}[${bIdx}];`,
      `${out}[m * ${N} + n] = Math.fround(${scaledSum} + ${scaledBias});`,
      "}"
    ];
  }
  if (n.op === "Slice") {
    const src = n.inputs[0];
    const ranges = n.attrs["ranges"];
    const runs = copyRuns(n.output.size, (i) => {
      const idx = unravel(i, n.output.dims).map((v, d) => v + ranges[2 * d]);
      return [i, ravel(idx, src.dims)];
    });
    return runs.map(
      ([o, s, len]) => `for (let i = 0; i < ${len}; i++) ${out}[${o} + i] = ${buf(src)}[${s} + i];`
    );
  }
  const axis = n.attrs["axis"];
  const lines = [];
  let offset = 0;
  for (const t of n.inputs) {
    if (!t) continue;
    const shift = offset;
    const runs = copyRuns(t.size, (i) => {
      const idx = unravel(i, t.dims);
      idx[axis] += shift;
      return [ravel(idx, n.output.dims), i];
    });
    for (const [o, s, len] of runs)
      lines.push(`for (let i = 0; i < ${len}; i++) ${out}[${o} + i] = ${buf(t)}[${s} + i];`);
    offset += t.dims[axis];
  }
  return lines;
}
function unravel(i, dims) {
  const idx = new Array(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = i % dims[d];
    i = Math.floor(i / dims[d]);
  }
  return idx;
}
function ravel(idx, dims) {
  return idx.reduce((acc, v, d) => acc * dims[d] + v, 0);
}
function copyRuns(count, pairOf) {
  const runs = [];
  for (let i = 0; i < count; i++) {
    const [d, s] = pairOf(i);
    const last = runs[runs.length - 1];
    if (last && last[0] + last[2] === d && last[1] + last[2] === s) last[2]++;
    else runs.push([d, s, 1]);
  }
  return runs;
}
var init_codegen = __esm({
  "shared/engines/compiled/codegen.ts"() {
    "use strict";
    init_math();
    init_graph();
  }
});

// shared/engines/compiled/engine.ts
var engine_exports = {};
__export(engine_exports, {
  compileModel: () => compileModel,
  compiledEngine: () => compiledEngine
});
function session(graph, compiled) {
  const inputNames = graph.inputs.map((i) => i.tensor.name);
  const outputNames = graph.outputs.map((o) => o.tensor.name);
  const defaults = {};
  for (const i of graph.inputs) {
    if (i.default) defaults[i.tensor.name] = { data: i.default, dims: [...i.tensor.dims] };
    if (i.default) compiled.inputs[i.tensor.name].set(i.default);
  }
  const inputSet = new Set(inputNames);
  return {
    engine: "js",
    inputNames,
    outputNames,
    defaults,
    compiled,
    async run(feeds) {
      for (const name of Object.keys(feeds)) {
        if (!inputSet.has(name)) {
          throw new OnnxError(
            `js engine: feed '${name}' is not a model input (inputs: ${inputNames.join(", ")})`
          );
        }
      }
      let rows = 1;
      for (const i of graph.inputs) {
        const t = feeds[i.tensor.name];
        if (t && i.batched) rows = Math.max(rows, t.dims[0] ?? 1);
      }
      const out = {};
      for (const o of graph.outputs) {
        const dims = o.batched ? [rows, ...o.tensor.dims.slice(1)] : [...o.tensor.dims];
        out[o.tensor.name] = {
          data: new Float32Array(o.batched ? rows * o.tensor.size : o.tensor.size),
          dims
        };
      }
      for (let r = 0; r < rows; r++) {
        for (const i of graph.inputs) {
          const name = i.tensor.name;
          const t = feeds[name] ?? defaults[name];
          if (!t) throw new OnnxError(`js engine: input '${name}' is missing and has no default`);
          const n = i.batched ? rows * i.tensor.size : i.tensor.size;
          if (!(t.data instanceof Float32Array) || t.data.length !== n) {
            const dims = i.batched ? [rows, ...i.tensor.dims.slice(1)] : i.tensor.dims;
            throw new OnnxError(
              `js engine: input '${name}' needs a Float32Array of ${n} values for dims [${dims.join(", ")}]`
            );
          }
          const size = i.tensor.size;
          compiled.inputs[name].set(i.batched ? t.data.subarray(r * size, (r + 1) * size) : t.data);
        }
        compiled.step();
        for (const o of graph.outputs) {
          const src = compiled.outputs[o.tensor.name];
          out[o.tensor.name].data.set(src, o.batched ? r * src.length : 0);
        }
      }
      return out;
    },
    async release() {
    }
  };
}
function compileModel(bytes) {
  const graph = decodeStepGraph(bytes);
  return session(graph, compileStepGraph(graph));
}
var compiledEngine;
var init_engine2 = __esm({
  "shared/engines/compiled/engine.ts"() {
    "use strict";
    init_errors();
    init_ort_session();
    init_codegen();
    init_graph();
    compiledEngine = {
      name: "js",
      async init() {
      },
      async load(bytes, options = {}) {
        checkLoadOptions(options);
        return compileModel(bytes);
      }
    };
  }
});

// shared/engines/index.ts
init_engine2();
init_engine();
init_native();
init_ort_session();
init_wasm();

// shared/export/export.ts
init_errors();
import { createHash as createHash4 } from "node:crypto";

// shared/io/atomic.ts
init_errors();

// shared/model/layout.ts
init_errors();
function isWeightMatrix(name) {
  return name.endsWith(".W") || name.endsWith(".U");
}
function validateArchitecture(arch) {
  let seenLiquid = false;
  arch.layers.forEach((layer, i) => {
    if (layer.kind === "liquid") seenLiquid = true;
    else if (seenLiquid) {
      throw new ModelError(
        `layers[${i}] is a dense layer after a liquid layer; dense layers must come first`
      );
    }
  });
}
function parameterLayout(arch) {
  validateArchitecture(arch);
  const out = [];
  let width = arch.inputs;
  arch.layers.forEach((layer, i) => {
    const p = `L${i}`;
    const K = layer.selector.candidates.length;
    if (layer.kind === "dense") {
      out.push({ name: `${p}.W`, shape: [layer.units, width] }, { name: `${p}.b`, shape: [layer.units] });
    } else {
      const H = layer.units;
      out.push(
        { name: `${p}.W`, shape: [H, H] },
        { name: `${p}.U`, shape: [H, width] },
        { name: `${p}.b`, shape: [H] },
        { name: `${p}.rho`, shape: [H] }
      );
    }
    out.push({ name: `${p}.logits`, shape: [K] }, { name: `${p}.affine`, shape: [K, 4] });
    width = layer.units;
  });
  out.push({ name: "readout.W", shape: [arch.outputs, width] }, { name: "readout.b", shape: [arch.outputs] });
  return out;
}
function stateWidth(arch) {
  let h = 0;
  for (const l of arch.layers) if (l.kind === "liquid") h += l.units;
  return h;
}
function parameterCount(arch) {
  let n = 0;
  for (const t of parameterLayout(arch)) n += t.shape.reduce((a, b) => a * b, 1);
  return n;
}

// shared/model/model.ts
init_errors();
function param(model2, name) {
  const t = model2.params.get(name);
  if (!t) throw new ModelError(`model has no parameter tensor '${name}'`);
  return t;
}
function layerCandidates(model2, layer) {
  return layer.selector.candidates.map((id) => {
    const e = model2.library.entries.find((x) => x.id === id);
    if (!e)
      throw new ModelError(`selector candidate '${id}' is not in library version ${model2.library.version}`);
    return e;
  });
}
function checkParams(model2, where) {
  for (const t of parameterLayout(model2)) {
    const data = model2.params.get(t.name);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!data) throw new ModelError(`${where}: missing parameter tensor '${t.name}'`);
    if (data.length !== size) {
      throw new ModelError(
        `${where}: tensor '${t.name}' has ${data.length} values, shape [${t.shape}] needs ${size}`
      );
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new ModelError(`${where}: tensor '${t.name}'[${i}] is not finite`);
    }
  }
  for (const layer of model2.layers) layerCandidates(model2, layer);
}
function cloneModel(model2, changes = {}) {
  const params = /* @__PURE__ */ new Map();
  for (const [k, v] of model2.params) params.set(k, v.slice());
  return { ...model2, ...changes, params };
}

// shared/activations/canonical.ts
init_errors();
var CONSTANT_RTOL = 1e-9;
var GRID = 2001;
var INV_PHI = (Math.sqrt(5) - 1) / 2;
function goldenMin(g, lo, hi) {
  let a = lo;
  let b = hi;
  for (let it = 0; it < 80 && b - a > 1e-15 * (1 + Math.abs(a)); it++) {
    const x1 = b - INV_PHI * (b - a);
    const x2 = a + INV_PHI * (b - a);
    if (g(x1) < g(x2)) b = x2;
    else a = x1;
  }
  return g((a + b) / 2);
}
function rangeOf(f, lo, hi) {
  const h = (hi - lo) / (GRID - 1);
  let iMin = 0;
  let iMax = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < GRID; i++) {
    const v = f(i === GRID - 1 ? hi : lo + i * h);
    if (!Number.isFinite(v)) throw new LibraryEntryError(`the function is not finite at x = ${lo + i * h}`);
    if (v < min) [min, iMin] = [v, i];
    if (v > max) [max, iMax] = [v, i];
  }
  const win = (i) => [
    lo + Math.max(i - 1, 0) * h,
    lo + Math.min(i + 1, GRID - 1) * h
  ];
  if (iMin > 0 && iMin < GRID - 1) min = Math.min(min, goldenMin(f, ...win(iMin)));
  if (iMax > 0 && iMax < GRID - 1) max = Math.max(max, -goldenMin((x) => -f(x), ...win(iMax)));
  return { min, max };
}
function windowMap(lo, hi) {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new LibraryEntryError(`input window [${lo}, ${hi}] must be finite with lo < hi`);
  }
  return { a: 2 / (hi - lo), b: -(hi + lo) / (hi - lo) + 0 };
}
function outputMap(min, max, what) {
  const scale2 = Math.max(Math.abs(min), Math.abs(max), 1e-300);
  if (!(max - min > CONSTANT_RTOL * scale2)) {
    throw new LibraryEntryError(
      `${what} is (nearly) constant (range [${min}, ${max}]); a constant has no activation shape`
    );
  }
  return { c: (max - min) / 2, d: (max + min) / 2 };
}
function canonicalAffineParams(fn, prim, lo, hi) {
  const { a, b } = windowMap(lo, hi);
  const { min, max } = rangeOf(prim.f, lo, hi);
  const { c, d } = outputMap(min, max, `${fn} on [${lo}, ${hi}]`);
  const params = { fn, alpha: (hi - lo) / 2, beta: (hi + lo) / 2, gamma: 1 / c, delta: -d / c };
  return { params, natural: { a, b, c, d } };
}

// shared/activations/forms/affine-primitive.ts
init_errors();
import { z } from "zod";

// shared/activations/primitives.ts
init_math();
var LEAKY_RELU_SLOPE = 0.01;
var POLE_MARGIN = 1e-6;
var REALS = [{ lo: -Infinity, hi: Infinity }];
var POSITIVE = [{ lo: POLE_MARGIN, hi: Infinity }];
function square(g, x) {
  return g.node("Mul", [x, x]);
}
var SPECS = {
  identity: { f: (x) => x, df: () => 1, emit: (_g, x) => x, ops: 0, complexity: 1 },
  relu: {
    f: (x) => Math.max(x, 0),
    df: (x) => x > 0 ? 1 : 0,
    emit: (g, x) => g.node("Relu", [x]),
    ops: 1,
    complexity: 1,
    smoothness: "C0"
  },
  leaky_relu: {
    f: (x) => x > 0 ? x : LEAKY_RELU_SLOPE * x,
    df: (x) => x > 0 ? 1 : LEAKY_RELU_SLOPE,
    emit: (g, x) => g.node("LeakyRelu", [x], { alpha: { f: LEAKY_RELU_SLOPE } }),
    ops: 1,
    complexity: 1,
    smoothness: "C0"
  },
  tanh: {
    f: Math.tanh,
    df: (x) => 1 - Math.tanh(x) ** 2,
    emit: (g, x) => g.node("Tanh", [x]),
    ops: 1,
    complexity: 3
  },
  sigmoid: {
    f: sigmoid,
    df: (x) => sigmoid(x) * sigmoid(-x),
    emit: (g, x) => g.node("Sigmoid", [x]),
    ops: 1,
    complexity: 3
  },
  silu: {
    f: (x) => x * sigmoid(x),
    df: (x) => sigmoid(x) * (1 + x * sigmoid(-x)),
    emit: (g, x) => g.node("Mul", [x, g.node("Sigmoid", [x])]),
    ops: 2,
    complexity: 3
  },
  gelu: {
    // x·Φ(x) written with erfc so that the far negative tail keeps its relative precision.
    f: (x) => 0.5 * x * erfc(-x * Math.SQRT1_2),
    df: (x) => 0.5 * erfc(-x * Math.SQRT1_2) + x * normalPdf(x),
    emit: (g, x) => {
      const e = g.node("Erf", [g.node("Mul", [x, g.scalar(Math.SQRT1_2)])]);
      const half = g.node("Mul", [x, g.scalar(0.5)]);
      return g.node("Mul", [half, g.node("Add", [e, g.scalar(1)])]);
    },
    ops: 5,
    complexity: 4
  },
  sin: { f: Math.sin, df: Math.cos, emit: (g, x) => g.node("Sin", [x]), ops: 1, complexity: 2 },
  cos: { f: Math.cos, df: (x) => -Math.sin(x), emit: (g, x) => g.node("Cos", [x]), ops: 1, complexity: 2 },
  softplus: { f: softplus, df: sigmoid, emit: (g, x) => g.node("Softplus", [x]), ops: 1, complexity: 3 },
  gaussian: {
    f: (x) => Math.exp(-x * x),
    df: (x) => -2 * x * Math.exp(-x * x),
    emit: (g, x) => g.node("Exp", [g.node("Neg", [square(g, x)])]),
    ops: 3,
    complexity: 3
  },
  x2: { f: (x) => x * x, df: (x) => 2 * x, emit: square, ops: 1, complexity: 2 },
  x3: {
    f: (x) => x * x * x,
    df: (x) => 3 * x * x,
    emit: (g, x) => g.node("Mul", [square(g, x), x]),
    ops: 2,
    complexity: 3
  },
  x4: {
    f: (x) => x * x * (x * x),
    df: (x) => 4 * x * x * x,
    emit: (g, x) => {
      const s = square(g, x);
      return g.node("Mul", [s, s]);
    },
    ops: 2,
    complexity: 3
  },
  inv: {
    f: (x) => 1 / x,
    df: (x) => -1 / (x * x),
    emit: (g, x) => g.node("Div", [g.scalar(1), x]),
    ops: 1,
    complexity: 2,
    domain: [
      { lo: -Infinity, hi: -POLE_MARGIN },
      { lo: POLE_MARGIN, hi: Infinity }
    ],
    safeOnReals: false
  },
  sqrt: {
    f: Math.sqrt,
    df: (x) => 0.5 / Math.sqrt(x),
    emit: (g, x) => g.node("Sqrt", [x]),
    ops: 1,
    complexity: 2,
    domain: POSITIVE,
    safeOnReals: false
  },
  exp: {
    f: Math.exp,
    df: Math.exp,
    emit: (g, x) => g.node("Exp", [x]),
    ops: 1,
    complexity: 2,
    safeOnReals: false
  },
  log: {
    f: Math.log,
    df: (x) => 1 / x,
    emit: (g, x) => g.node("Log", [x]),
    ops: 1,
    complexity: 2,
    domain: POSITIVE,
    safeOnReals: false
  },
  abs: {
    f: Math.abs,
    df: (x) => x > 0 ? 1 : x < 0 ? -1 : 0,
    emit: (g, x) => g.node("Abs", [x]),
    ops: 1,
    complexity: 3,
    smoothness: "C0"
  },
  arctan: {
    f: Math.atan,
    df: (x) => 1 / (1 + x * x),
    emit: (g, x) => g.node("Atan", [x]),
    ops: 1,
    complexity: 4
  }
};
var PRIMITIVES = Object.freeze(
  Object.fromEntries(
    Object.keys(SPECS).map((name) => {
      const s = SPECS[name];
      const p = {
        ...s,
        name,
        domain: s.domain ?? REALS,
        safeOnReals: s.safeOnReals ?? true,
        smoothness: s.smoothness ?? "Cinf"
      };
      return [name, Object.freeze(p)];
    })
  )
);
var PRIMITIVE_NAMES = Object.keys(PRIMITIVES);
function rangeIsSafe(p, lo, hi) {
  return p.domain.some((d) => lo >= d.lo && hi <= d.hi);
}

// shared/activations/forms/affine-primitive.ts
function emitScaledPrimitive(g, x, prim, k) {
  let t = x;
  if (k.A !== 1) t = g.node("Mul", [t, g.scalar(k.A)]);
  if (k.B !== 0) t = g.node("Add", [t, g.scalar(k.B)]);
  t = prim.emit(g, t);
  if (k.C !== 1) t = g.node("Mul", [t, g.scalar(k.C)]);
  if (k.D !== 0) t = g.node("Add", [t, g.scalar(k.D)]);
  return t;
}
function scaledPrimitiveOps(prim, k) {
  return prim.ops + (k.A !== 1 ? 1 : 0) + (k.B !== 0 ? 1 : 0) + (k.C !== 1 ? 1 : 0) + (k.D !== 0 ? 1 : 0);
}
var finite = z.number().refine(Number.isFinite, "must be a finite number");
function affinePrimitiveForm(formName, table) {
  const names = Object.keys(table);
  const schema3 = z.object({
    fn: z.enum(names, { error: () => `must be one of ${names.join(", ")}` }),
    alpha: finite,
    beta: finite,
    gamma: finite,
    delta: finite
  });
  const primitive = (p) => PRIMITIVES[table[p.fn]];
  const k = (p) => ({ A: p.alpha, B: p.beta, C: p.gamma, D: p.delta });
  return {
    name: formName,
    primitive,
    evaluate: (p, zv) => p.gamma * primitive(p).f(p.alpha * zv + p.beta) + p.delta,
    derivative: (p, zv) => p.gamma * primitive(p).df(p.alpha * zv + p.beta) * p.alpha,
    extendable: (p) => primitive(p).safeOnReals,
    opsPerElement: (p) => scaledPrimitiveOps(primitive(p), k(p)),
    emitOnnx: (g, zName, p) => emitScaledPrimitive(g, zName, primitive(p), k(p)),
    parse(json, where) {
      const r = schema3.safeParse(json);
      if (!r.success) {
        const issue = r.error.issues[0];
        const field = ["params", ...issue.path.map(String)].join(".");
        throw new LibraryEntryError(`${where}: field '${field}': ${issue.message}`, { cause: r.error });
      }
      const p = r.data;
      const prim = primitive(p);
      const lo = p.beta - Math.abs(p.alpha);
      const hi = p.beta + Math.abs(p.alpha);
      if (!rangeIsSafe(prim, lo, hi)) {
        const allowed = prim.domain.map((d) => `[${d.lo}, ${d.hi}]`).join(" or ");
        throw new LibraryEntryError(
          `${where}: field 'params': ${p.fn}(alpha\xB7z + beta) sees inputs [${lo}, ${hi}] on z \u2208 [-1, 1], outside its safe domain ${allowed}`
        );
      }
      return Object.freeze({ ...p });
    },
    toJSON: (p) => ({ fn: p.fn, alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta })
  };
}
function foldAffine(p, aff) {
  return { A: p.alpha * aff.a, B: p.alpha * aff.b + p.beta, C: aff.c * p.gamma, D: aff.c * p.delta + aff.d };
}

// shared/activations/forms/classic.ts
var CLASSIC_TABLE = Object.freeze({
  identity: "identity",
  relu: "relu",
  leaky_relu: "leaky_relu",
  tanh: "tanh",
  sigmoid: "sigmoid",
  silu: "silu",
  gelu: "gelu",
  sin: "sin",
  softplus: "softplus",
  gaussian: "gaussian"
});
var CLASSIC_NAMES = Object.keys(CLASSIC_TABLE);
var classicForm = affinePrimitiveForm("classic", CLASSIC_TABLE);

// shared/activations/forms/chebyshev.ts
init_errors();
import { z as z2 } from "zod";
var schema = z2.object({
  coeffs: z2.array(z2.number().refine(Number.isFinite, "must be finite numbers")).min(2, "needs at least 2 coefficients (degree \u2265 1)")
});
function clenshaw(c, x) {
  const z22 = 2 * x;
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) {
    const b = z22 * b1 + c[k] - b2;
    b2 = b1;
    b1 = b;
  }
  return x * b1 + c[0] - b2;
}
function clenshawDerivative(c, x) {
  const z22 = 2 * x;
  let b1 = 0;
  let b2 = 0;
  for (let j = c.length - 2; j >= 0; j--) {
    const b = z22 * b1 + (j + 1) * c[j + 1] - b2;
    b2 = b1;
    b1 = b;
  }
  return b1;
}
var chebyshevForm = {
  name: "chebyshev",
  evaluate: (p, x) => clenshaw(p.coeffs, x),
  derivative: (p, x) => clenshawDerivative(p.coeffs, x),
  extendable: () => false,
  // Degree n ≥ 2: one Mul for 2z, Mul/Add(/Sub) per recurrence step and Mul/Add/Sub at the end.
  opsPerElement: (p) => p.coeffs.length === 2 ? 2 : 3 * (p.coeffs.length - 1),
  emitOnnx(g, x, p) {
    const c = p.coeffs;
    const z22 = c.length > 2 ? g.node("Mul", [x, g.scalar(2)]) : "";
    let b1 = null;
    let b2 = null;
    for (let k = c.length - 1; k >= 1; k--) {
      let b;
      if (b1 === null) b = g.scalar(c[k]);
      else {
        b = g.node("Add", [g.node("Mul", [z22, b1]), g.scalar(c[k])]);
        if (b2 !== null) b = g.node("Sub", [b, b2]);
      }
      b2 = b1;
      b1 = b;
    }
    let out = g.node("Add", [g.node("Mul", [x, b1]), g.scalar(c[0])]);
    if (b2 !== null) out = g.node("Sub", [out, b2]);
    return out;
  },
  parse(json, where) {
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = ["params", ...issue.path.map(String)].join(".");
      throw new LibraryEntryError(`${where}: field '${field}': ${issue.message}`, { cause: r.error });
    }
    return Object.freeze({ coeffs: Object.freeze([...r.data.coeffs]) });
  },
  toJSON: (p) => ({ coeffs: [...p.coeffs] })
};

// shared/activations/forms/rational.ts
init_errors();
import { z as z3 } from "zod";
var finite2 = z3.number().refine(Number.isFinite, "must be finite numbers");
var schema2 = z3.object({
  p: z3.array(finite2).min(1, "needs at least one numerator coefficient"),
  q: z3.array(finite2.refine((v) => v >= 0, "must be \u2265 0 so that the denominator stays positive"))
}).refine((r) => r.p.length > 1 || r.q.length > 0, { message: "is a constant", path: ["p"] });
function numerator(p, x) {
  let acc = p[p.length - 1];
  for (let j = p.length - 2; j >= 0; j--) acc = acc * x + p[j];
  return acc;
}
function numeratorSlope(p, x) {
  let acc = 0;
  for (let j = p.length - 1; j >= 1; j--) acc = acc * x + j * p[j];
  return acc;
}
function denominator(q, x) {
  if (q.length === 0) return 1;
  const w = x * x;
  let acc = q[q.length - 1];
  for (let k = q.length - 2; k >= 0; k--) acc = acc * w + q[k];
  return acc * w + 1;
}
function denominatorSlope(q, x) {
  const w = x * x;
  let acc = 0;
  for (let k = q.length; k >= 1; k--) acc = acc * w + 2 * k * q[k - 1];
  return acc * x;
}
var rationalForm = {
  name: "rational",
  evaluate: (r, x) => numerator(r.p, x) / denominator(r.q, x),
  derivative(r, x) {
    const den = denominator(r.q, x);
    return (numeratorSlope(r.p, x) * den - numerator(r.p, x) * denominatorSlope(r.q, x)) / (den * den);
  },
  extendable: () => true,
  opsPerElement: (r) => 2 * (r.p.length - 1) + (r.q.length > 0 ? 2 * r.q.length + 2 : 0),
  emitOnnx(g, x, r) {
    const m = r.p.length - 1;
    let num2 = g.scalar(r.p[m]);
    for (let j = m - 1; j >= 0; j--) num2 = g.node("Add", [g.node("Mul", [num2, x]), g.scalar(r.p[j])]);
    if (r.q.length === 0) return num2;
    const w = g.node("Mul", [x, x]);
    let den = g.scalar(r.q[r.q.length - 1]);
    for (let k = r.q.length - 2; k >= 0; k--)
      den = g.node("Add", [g.node("Mul", [den, w]), g.scalar(r.q[k])]);
    den = g.node("Add", [g.node("Mul", [den, w]), g.scalar(1)]);
    return g.node("Div", [num2, den]);
  },
  parse(json, where) {
    const r = schema2.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = ["params", ...issue.path.map(String)].join(".");
      throw new LibraryEntryError(`${where}: field '${field}': ${issue.message}`, { cause: r.error });
    }
    return Object.freeze({ p: Object.freeze([...r.data.p]), q: Object.freeze([...r.data.q]) });
  },
  toJSON: (r) => ({ p: [...r.p], q: [...r.q] })
};

// shared/activations/forms/symbolic.ts
var SYMBOLIC_TABLE = Object.freeze({
  x: "identity",
  x2: "x2",
  x3: "x3",
  x4: "x4",
  inv: "inv",
  sqrt: "sqrt",
  exp: "exp",
  log: "log",
  sin: "sin",
  cos: "cos",
  tanh: "tanh",
  sigmoid: "sigmoid",
  gauss: "gaussian",
  abs: "abs",
  arctan: "arctan"
});
var SYMBOLIC_NAMES = Object.keys(SYMBOLIC_TABLE);
var symbolicForm = affinePrimitiveForm("symbolic", SYMBOLIC_TABLE);

// shared/activations/forms/index.ts
var FORMS = Object.freeze({
  classic: classicForm,
  symbolic: symbolicForm,
  chebyshev: chebyshevForm,
  rational: rationalForm
});
function formModule(name) {
  return FORMS[name];
}

// shared/activations/tail.ts
function tailBoundary(core) {
  return { vLo: core.value(-1), vHi: core.value(1), sLo: core.slope(-1), sHi: core.slope(1) };
}
function clip(z9) {
  return Math.min(Math.max(z9, -1), 1);
}
function tailValue(policy, b, core, z9) {
  if (policy === "extend") return core.value(z9);
  const v = core.value(clip(z9));
  if (policy === "constant") return v;
  return v + b.sHi * Math.max(z9 - 1, 0) - b.sLo * Math.max(-1 - z9, 0);
}
function tailSlope(policy, b, core, z9) {
  if (policy === "extend" || z9 >= -1 && z9 <= 1) return core.slope(z9);
  if (policy === "constant") return 0;
  return z9 > 1 ? b.sHi : b.sLo;
}
function evalTailInto(policy, b, core, z9, out, dout) {
  const n = z9.length;
  for (let i = 0; i < n; i++) {
    const zi = z9[i];
    if (dout !== void 0) dout[i] = tailSlope(policy, b, core, zi);
    out[i] = tailValue(policy, b, core, zi);
  }
}

// shared/activations/compile.ts
function entryPrimitive(entry) {
  if (entry.form === "classic") return classicForm.primitive(entry.params);
  if (entry.form === "symbolic") return symbolicForm.primitive(entry.params);
  return null;
}
function compileActivation(entry) {
  const form = formModule(entry.form);
  const params = entry.params;
  const core = {
    value: (z9) => form.evaluate(params, z9),
    slope: (z9) => form.derivative(params, z9)
  };
  const boundary = tailBoundary(core);
  const tail = entry.tail;
  const prim = tail === "extend" ? entryPrimitive(entry) : null;
  const self = {
    entry,
    boundary,
    value: (z9) => tailValue(tail, boundary, core, z9),
    slope: (z9) => tailSlope(tail, boundary, core, z9),
    evalInto: prim !== null ? (z9, out, dout) => {
      const { alpha, beta, gamma, delta } = params;
      for (let i = 0; i < z9.length; i++) {
        const u = alpha * z9[i] + beta;
        if (dout !== void 0) dout[i] = gamma * prim.df(u) * alpha;
        out[i] = gamma * prim.f(u) + delta;
      }
    } : (z9, out, dout) => evalTailInto(tail, boundary, core, z9, out, dout),
    applyAffineInto(x, aff, out, dout) {
      const n = x.length;
      if (prim !== null) {
        const { A, B, C, D } = foldAffine(params, aff);
        for (let i = 0; i < n; i++) {
          const u = A * x[i] + B;
          if (dout !== void 0) dout[i] = C * prim.df(u) * A;
          out[i] = C * prim.f(u) + D;
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const z9 = aff.a * x[i] + aff.b;
        if (dout !== void 0) dout[i] = aff.c * tailSlope(tail, boundary, core, z9) * aff.a;
        out[i] = aff.c * tailValue(tail, boundary, core, z9) + aff.d;
      }
    }
  };
  return self;
}

// shared/activations/hash.ts
import { createHash } from "node:crypto";

// shared/io/canonical-json.ts
function canonicalJson(value, opts = {}) {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return JSON.stringify(String(value));
    if (opts.significantDigits === void 0) return JSON.stringify(value);
    const r = Number(value.toPrecision(opts.significantDigits));
    return JSON.stringify(r === 0 ? 0 : r);
  }
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, opts)).join(",")}]`;
  const rec = value;
  const keys = Object.keys(rec).filter((k) => rec[k] !== void 0).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k], opts)}`).join(",")}}`;
}

// shared/activations/hash.ts
var ID_DIGITS = 12;
var ID_HEX_CHARS = 16;
function activationId(form, params, tail) {
  const json = canonicalJson(
    { form, params: formModule(form).toJSON(params), tail },
    { significantDigits: ID_DIGITS }
  );
  return createHash("sha256").update(json).digest("hex").slice(0, ID_HEX_CHARS);
}

// shared/activations/properties.ts
var GRID2 = 4001;
var FAR = [1.5, 2, 3, 5, 10, 30, 100, 300, 1e3];
var FLAT = 1e-9;
function tailOps(tail) {
  return tail === "linear" ? 9 : tail === "constant" ? 1 : 0;
}
function gradientMeta(entry) {
  const act = compileActivation(entry);
  const zs = [];
  for (let i = 0; i < GRID2; i++) zs.push(-1 + 2 * i / (GRID2 - 1));
  const farZs = entry.tail === "extend" ? FAR.flatMap((r) => [-r, r]) : [-2, 2];
  let lip = 0;
  let maxAbs = 0;
  let minSlope = Infinity;
  let maxSlope = -Infinity;
  for (const z9 of [...zs, ...farZs]) {
    const s = act.slope(z9);
    lip = Math.max(lip, Math.abs(s));
    minSlope = Math.min(minSlope, s);
    maxSlope = Math.max(maxSlope, s);
  }
  for (const z9 of zs) maxAbs = Math.max(maxAbs, Math.abs(act.value(z9)));
  const tol = FLAT * Math.max(lip, 1e-300);
  const monotone = minSlope >= -tol && maxSlope > tol ? "increasing" : maxSlope <= tol && minSlope < -tol ? "decreasing" : "none";
  let bounded;
  if (entry.tail === "constant") bounded = true;
  else if (entry.tail === "linear") bounded = act.boundary.sLo === 0 && act.boundary.sHi === 0;
  else
    bounded = [1e3, 1e6].every(
      (r) => Math.max(Math.abs(act.value(r)), Math.abs(act.value(-r))) <= 10 * (1 + maxAbs)
    );
  const prim = entryPrimitive(entry);
  const core = prim?.smoothness ?? "Cinf";
  let smoothness = core;
  if (core === "Cinf" && entry.tail === "linear") smoothness = "C1";
  if (core === "Cinf" && entry.tail === "constant") {
    smoothness = act.boundary.sLo === 0 && act.boundary.sHi === 0 ? "C1" : "C0";
  }
  return { lipschitz: lip, monotone, bounded: bounded && Number.isFinite(maxAbs), smoothness };
}
function buildEntry(o) {
  const form = formModule(o.form);
  const base = {
    id: activationId(o.form, o.params, o.tail),
    name: o.name,
    form: o.form,
    params: o.params,
    tail: o.tail,
    natural: { a: o.natural.a, b: o.natural.b, c: o.natural.c, d: o.natural.d },
    meta: {
      provenance: o.provenance,
      fitError: o.fitError ?? { maxAbs: 0, rms: 0 },
      cost: { opsPerElement: form.opsPerElement(o.params) + tailOps(o.tail) },
      gradient: { lipschitz: 0, monotone: "none", bounded: false, smoothness: "Cinf" },
      usage: { count: 0, byTask: {} }
    }
  };
  return { ...base, meta: { ...base.meta, gradient: gradientMeta(base) } };
}

// shared/activations/builtins.ts
var CLASSIC_WINDOWS = Object.freeze({
  identity: [-1, 1],
  relu: [-1, 1],
  leaky_relu: [-1, 1],
  tanh: [-3, 3],
  sigmoid: [-6, 6],
  silu: [-4, 4],
  gelu: [-3, 3],
  sin: [-Math.PI, Math.PI],
  softplus: [-4, 4],
  gaussian: [-3, 3]
});
function classicEntry(name) {
  const [lo, hi] = CLASSIC_WINDOWS[name];
  const { params, natural } = canonicalAffineParams(name, PRIMITIVES[CLASSIC_TABLE[name]], lo, hi);
  return buildEntry({
    name,
    form: "classic",
    params: Object.freeze(params),
    tail: "extend",
    natural,
    provenance: { source: "builtin" }
  });
}
function classicEntries() {
  return CLASSIC_NAMES.map(classicEntry);
}

// shared/activations/distance.ts
init_math();

// shared/activations/emit.ts
function emitActivation(g, input, entry, affine) {
  const prim = entry.tail === "extend" ? entryPrimitive(entry) : null;
  let y;
  if (prim !== null) {
    y = emitScaledPrimitive(g, input, prim, foldAffine(entry.params, affine));
  } else {
    let z9 = input;
    if (affine.a !== 1) z9 = g.node("Mul", [z9, g.scalar(affine.a)]);
    if (affine.b !== 0) z9 = g.node("Add", [z9, g.scalar(affine.b)]);
    y = emitCoreWithTail(g, z9, entry);
    if (affine.c !== 1) y = g.node("Mul", [y, g.scalar(affine.c)]);
    if (affine.d !== 0) y = g.node("Add", [y, g.scalar(affine.d)]);
  }
  return y === input ? g.node("Identity", [input]) : y;
}
function emitCoreWithTail(g, z9, entry) {
  const form = formModule(entry.form);
  if (entry.tail === "extend") return form.emitOnnx(g, z9, entry.params);
  const clipped = g.node("Clip", [z9, g.scalar(-1), g.scalar(1)]);
  let y = form.emitOnnx(g, clipped, entry.params);
  if (entry.tail === "linear") {
    const { sLo, sHi } = compileActivation(entry).boundary;
    if (sHi !== 0) {
      const over = g.node("Relu", [g.node("Sub", [z9, g.scalar(1)])]);
      y = g.node("Add", [y, g.node("Mul", [over, g.scalar(sHi)])]);
    }
    if (sLo !== 0) {
      const under = g.node("Relu", [g.node("Sub", [g.scalar(-1), z9])]);
      y = g.node("Sub", [y, g.node("Mul", [under, g.scalar(sLo)])]);
    }
  }
  return y;
}

// shared/activations/entry.ts
init_errors();
import { z as z4 } from "zod";

// shared/activations/types.ts
var FORM_NAMES = ["classic", "symbolic", "chebyshev", "rational"];
var TAIL_POLICIES = ["linear", "constant", "extend"];

// shared/activations/entry.ts
var finite3 = z4.number().refine(Number.isFinite, "must be a finite number");
var nonNegative = finite3.refine((v) => v >= 0, "must be \u2265 0");
var AffineSchema = z4.object({ a: finite3, b: finite3, c: finite3, d: finite3 });
var EntryMetaSchema = z4.object({
  provenance: z4.object({
    source: z4.enum(["builtin", "kan", "user"], { error: () => "must be one of builtin, kan, user" }),
    family: z4.string().optional(),
    run: z4.string().optional(),
    seed: z4.number().int().optional(),
    layer: z4.number().int().nonnegative().optional(),
    edge: z4.string().optional(),
    createdAt: z4.string().optional()
  }),
  fitError: z4.object({ maxAbs: nonNegative, rms: nonNegative }),
  cost: z4.object({ opsPerElement: z4.number().int().nonnegative(), nsPerElement: nonNegative.optional() }),
  gradient: z4.object({
    lipschitz: nonNegative,
    monotone: z4.enum(["increasing", "decreasing", "none"], {
      error: () => "must be one of increasing, decreasing, none"
    }),
    bounded: z4.boolean(),
    smoothness: z4.enum(["C0", "C1", "Cinf"], { error: () => "must be one of C0, C1, Cinf" })
  }),
  usage: z4.object({ count: z4.number().int().nonnegative(), byTask: z4.record(z4.string(), z4.number()) })
});
var ActivationEntryJsonSchema = z4.object({
  id: z4.string().regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex characters"),
  name: z4.string().min(1, "must not be empty"),
  form: z4.enum(FORM_NAMES, {
    error: (iss) => `form must be one of ${FORM_NAMES.join(", ")} (got ${JSON.stringify(iss.input)})`
  }),
  params: z4.unknown(),
  tail: z4.enum(TAIL_POLICIES, {
    error: (iss) => `tail policy must be one of ${TAIL_POLICIES.join(", ")} (got ${JSON.stringify(iss.input)})`
  }),
  natural: AffineSchema,
  meta: EntryMetaSchema
});
function label(json) {
  const rec = json ?? {};
  const name = typeof rec.name === "string" ? rec.name : "?";
  const id = typeof rec.id === "string" ? rec.id : "?";
  return `entry '${name}' (id ${id})`;
}
function finish(e, where, opts) {
  const form = formModule(e.form);
  const params = form.parse(e.params, where);
  if (e.tail === "extend" && !form.extendable(params)) {
    throw new LibraryEntryError(
      `${where}: field 'tail': 'extend' is not allowed for this ${e.form} shape, which is not safe on all of \u211D; use 'linear' or 'constant'`
    );
  }
  if (opts.checkId !== false) {
    const expected = activationId(e.form, params, e.tail);
    if (expected !== e.id) {
      throw new LibraryEntryError(
        `${where}: field 'id': is not the content hash ${expected} of form, params, tail`
      );
    }
  }
  return { ...e, params, meta: e.meta };
}
var ActivationEntrySchema = ActivationEntryJsonSchema.transform((e, ctx) => {
  try {
    return finish(e, label(e), {});
  } catch (err) {
    const field = /field '([^']+)'/.exec(String(err.message))?.[1] ?? "params";
    ctx.addIssue({ code: "custom", message: err.message, path: field.split(".") });
    return z4.NEVER;
  }
});

// shared/activations/fit.ts
init_math();
var CHEBYSHEV_FIT_DEFAULTS = Object.freeze({ tol: 1e-6, maxDegree: 64, gridPoints: 1001 });
var RATIONAL_FIT_DEFAULTS = Object.freeze({
  numeratorDegree: 5,
  denominatorDegree: 2,
  skIterations: 8,
  lmIterations: 40
});

// shared/activations/index.ts
init_math();

// shared/model/reference.ts
init_errors();

// shared/liquid/cell.ts
function tauFromRhoInto(rho, tauMin, tauMax, out, dtauOut) {
  const span = tauMax - tauMin;
  for (let i = 0; i < rho.length; i++) {
    const s = 1 / (1 + Math.exp(-rho[i]));
    out[i] = tauMin + span * s;
    if (dtauOut) dtauOut[i] = span * s * (1 - s);
  }
}
function rhoFromTau(tau, tauMin, tauMax) {
  const s = Math.min(1 - 1e-9, Math.max(1e-9, (tau - tauMin) / (tauMax - tauMin)));
  return Math.log(s / (1 - s));
}
function liquidStepInto(x, phi, tau, dt, out) {
  const H = tau.length;
  const N = dt.length;
  for (let n = 0; n < N; n++) {
    const dtn = dt[n];
    const row = n * H;
    for (let i = 0; i < H; i++) {
      const t = tau[i];
      const e = Math.exp(-dtn / t);
      out[row + i] = e * x[row + i] + t * (1 - e) * phi[row + i];
    }
  }
}
function liquidStepBackward(x, phi, tau, dt, g, gx, gphi, gtau) {
  const H = tau.length;
  const N = dt.length;
  for (let n = 0; n < N; n++) {
    const dtn = dt[n];
    const row = n * H;
    for (let i = 0; i < H; i++) {
      const t = tau[i];
      const e = Math.exp(-dtn / t);
      const gi = g[row + i];
      if (gx) gx[row + i] += gi * e;
      if (gphi) gphi[row + i] += gi * t * (1 - e);
      if (gtau) {
        const xi = x[row + i];
        const p = phi[row + i];
        gtau[i] += gi * ((xi - t * p) * e * (dtn / (t * t)) + (1 - e) * p);
      }
    }
  }
}

// shared/model/selector.ts
function selectorWeightsInto(logits, temperature, mode, chosen, out) {
  const K = logits.length;
  if (mode === "hard") {
    out.fill(0);
    out[chosen] = 1;
    return;
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, logits[k] / temperature);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(logits[k] / temperature - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[k] = out[k] / sum;
}
var SelectorKernel = class {
  candidates;
  z = new Float64Array(0);
  psi = new Float64Array(0);
  dpsi = new Float64Array(0);
  constructor(candidates) {
    this.candidates = candidates;
  }
  ensure(n) {
    if (this.z.length >= n) return;
    this.z = new Float64Array(n);
    this.psi = new Float64Array(n);
    this.dpsi = new Float64Array(n);
  }
  /** Evaluate candidate k at every u (z = a·u + b); leaves ψ and ψ′ in scratch views. */
  evalCandidate(k, u, a, b) {
    const n = u.length;
    const z9 = this.z.length === n ? this.z : this.z.subarray(0, n);
    const psi = this.psi.length === n ? this.psi : this.psi.subarray(0, n);
    const dpsi = this.dpsi.length === n ? this.dpsi : this.dpsi.subarray(0, n);
    for (let i = 0; i < n; i++) z9[i] = a * u[i] + b;
    this.candidates[k].evalInto(z9, psi, dpsi);
    return [psi, dpsi];
  }
  /**
   * y = φ(u) elementwise, and dy/du when dy is given. u, y, dy: any length (the layer's
   * pre-activations); affine [K, 4] rows (a, b, c, d); w [K] mixture weights.
   */
  forwardInto(u, affine, w, y, dy) {
    const n = u.length;
    this.ensure(n);
    const val = this.psi.length === n ? this.psi : this.psi.subarray(0, n);
    const slope = dy ? this.dpsi.length === n ? this.dpsi : this.dpsi.subarray(0, n) : void 0;
    let first = true;
    for (let k = 0; k < this.candidates.length; k++) {
      const wk = w[k];
      if (wk === 0) continue;
      const aff = { a: affine[4 * k], b: affine[4 * k + 1], c: affine[4 * k + 2], d: affine[4 * k + 3] };
      if (wk === 1 && first) {
        this.candidates[k].applyAffineInto(u, aff, y, dy);
        first = false;
        continue;
      }
      this.candidates[k].applyAffineInto(u, aff, val, slope);
      if (first) {
        y.fill(0);
        dy?.fill(0);
        first = false;
      }
      for (let i = 0; i < n; i++) y[i] += wk * val[i];
      if (dy && slope) for (let i = 0; i < n; i++) dy[i] += wk * slope[i];
    }
    if (first) {
      y.fill(0);
      dy?.fill(0);
    }
  }
  /**
   * Forward for training: y = φ(u), keeping every weighted candidate's ψ and ψ′ so backward()
   * need not evaluate them again (one pass over the candidates instead of two).
   */
  forwardCached(u, affine, w, y) {
    const K = this.candidates.length;
    const psi = new Array(K).fill(null);
    const dpsi = new Array(K).fill(null);
    y.fill(0);
    const z9 = new Float64Array(u.length);
    for (let k = 0; k < K; k++) {
      const wk = w[k];
      if (wk === 0) continue;
      const a = affine[4 * k];
      const b = affine[4 * k + 1];
      const c = affine[4 * k + 2];
      const d = affine[4 * k + 3];
      for (let i = 0; i < u.length; i++) z9[i] = a * u[i] + b;
      const p = new Float64Array(u.length);
      const dp = new Float64Array(u.length);
      this.candidates[k].evalInto(z9, p, dp);
      for (let i = 0; i < u.length; i++) y[i] += wk * (c * p[i] + d);
      psi[k] = p;
      dpsi[k] = dp;
    }
    return { psi, dpsi };
  }
  /**
   * Backward: g = dL/dy. Accumulates dL/du (gu), dL/daffine (gaffine [K,4]) and dL/dlogits
   * (glogits [K], soft mode only: dL/dl_j = w_j·(G_j − Σ_k w_k G_k)/T with G_k = Σ_i g_i·(c_kψ_k + d_k)).
   */
  backward(u, affine, w, temperature, mode, g, gu, gaffine, glogits, cache) {
    this.ensure(u.length);
    const K = this.candidates.length;
    let meanG = 0;
    const G = glogits && mode === "soft" ? new Float64Array(K) : null;
    for (let k = 0; k < K; k++) {
      const wk = w[k];
      if (wk === 0) continue;
      const a = affine[4 * k];
      const c = affine[4 * k + 2];
      const d = affine[4 * k + 3];
      const cp = cache?.psi[k];
      const cd = cache?.dpsi[k];
      const [psi, dpsi] = cp && cd ? [cp, cd] : this.evalCandidate(k, u, a, affine[4 * k + 1]);
      let ga = 0;
      let gb = 0;
      let gc = 0;
      let gd = 0;
      let gk = 0;
      for (let i = 0; i < u.length; i++) {
        const gi = g[i];
        const slope = c * dpsi[i];
        if (gu) gu[i] += gi * wk * slope * a;
        ga += gi * slope * u[i];
        gb += gi * slope;
        gc += gi * psi[i];
        gd += gi;
        gk += gi * (c * psi[i] + d);
      }
      if (gaffine) {
        gaffine[4 * k] += wk * ga;
        gaffine[4 * k + 1] += wk * gb;
        gaffine[4 * k + 2] += wk * gc;
        gaffine[4 * k + 3] += wk * gd;
      }
      if (G) {
        G[k] = gk;
        meanG += wk * gk;
      }
    }
    if (G && glogits) {
      for (let k = 0; k < K; k++) glogits[k] += w[k] * (G[k] - meanG) / temperature;
    }
  }
};

// shared/model/reference.ts
function matvec(M, rows, cols, v, vo, y, yo, accumulate) {
  for (let r = 0; r < rows; r++) {
    const mo = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += M[mo + c] * v[vo + c];
    y[yo + r] = accumulate ? y[yo + r] + s : s;
  }
}
function matvecRows(M, rows, cols, v, vOffset, vStride, y, N, accumulate) {
  for (let n = 0; n < N; n++) matvec(M, rows, cols, v, vOffset + n * vStride, y, n * rows, accumulate);
}
var ReferenceRunner = class {
  model;
  batch;
  /** Concatenated liquid states, [batch, stateWidth]. */
  state;
  stateWidth;
  layers;
  readoutW;
  readoutB;
  dtBuf;
  liquidNext;
  /** Standardised inputs when the model has a scaling, else null. */
  scaled;
  constructor(model2, batch = 1) {
    this.model = model2;
    this.batch = batch;
    this.stateWidth = stateWidth(model2);
    this.state = new Float64Array(batch * this.stateWidth);
    this.dtBuf = new Float64Array(batch);
    let width = model2.inputs;
    let offset = 0;
    let maxUnits = 1;
    this.layers = model2.layers.map((spec, i) => {
      const p = `L${i}`;
      const K = spec.selector.candidates.length;
      const weights = new Float64Array(K);
      const s = spec.selector;
      selectorWeightsInto(param(model2, `${p}.logits`), s.temperature, s.mode, s.chosen, weights);
      const kernel = new SelectorKernel(layerCandidates(model2, spec).map((e) => compileActivation(e)));
      let tau = null;
      if (spec.kind === "liquid") {
        tau = new Float64Array(spec.units);
        tauFromRhoInto(param(model2, `${p}.rho`), spec.tauMin, spec.tauMax, tau);
      }
      const layer = {
        spec,
        inWidth: width,
        W: param(model2, `${p}.W`),
        U: spec.kind === "liquid" ? param(model2, `${p}.U`) : null,
        b: param(model2, `${p}.b`),
        affine: param(model2, `${p}.affine`),
        weights,
        tau,
        kernel,
        stateOffset: offset,
        pre: new Float64Array(batch * spec.units),
        act: new Float64Array(batch * spec.units)
      };
      if (spec.kind === "liquid") offset += spec.units;
      maxUnits = Math.max(maxUnits, spec.units);
      width = spec.units;
      return layer;
    });
    this.liquidNext = new Float64Array(batch * maxUnits);
    this.scaled = model2.scaling ? new Float64Array(batch * model2.inputs) : null;
    this.readoutW = param(model2, "readout.W");
    this.readoutB = param(model2, "readout.b");
  }
  reset() {
    this.state.fill(0);
  }
  /** Layer i's pre-activations (W·x + U·h + b) from the last step, [batch, units] (a view). */
  layerPreActivation(i) {
    return this.layers[i].pre;
  }
  /** Layer i's output from the last step, for stream 0 (a view: read it before the next step). */
  layerOutput(i) {
    const l = this.layers[i];
    if (l.spec.kind === "dense") return l.act.subarray(0, l.spec.units);
    return this.state.subarray(l.stateOffset, l.stateOffset + l.spec.units);
  }
  /** τ of every liquid neuron, concatenated in layer order (a copy). */
  get tau() {
    const out = new Float64Array(this.stateWidth);
    for (const l of this.layers) if (l.tau) out.set(l.tau, l.stateOffset);
    return out;
  }
  /** Override τ (e.g. after online adaptation); values are clamped into each layer's band. */
  setTau(values) {
    if (values.length !== this.stateWidth) {
      throw new ShapeError(
        `setTau: got ${values.length} values, the model has ${this.stateWidth} liquid neurons`
      );
    }
    for (const l of this.layers) {
      if (!l.tau || l.spec.kind !== "liquid") continue;
      for (let i = 0; i < l.tau.length; i++) {
        l.tau[i] = Math.min(l.spec.tauMax, Math.max(l.spec.tauMin, values[l.stateOffset + i]));
      }
    }
  }
  /**
   * Advance every stream by one step. input [batch, inputs]; dt: one Δt for all, or [batch];
   * out [batch, outputs]. The state is updated in place.
   */
  step(input, dt, out) {
    const N = this.batch;
    const m = this.model;
    if (input.length !== N * m.inputs) {
      throw new ShapeError(
        `step: input has ${input.length} values, expected batch ${N} \xD7 ${m.inputs} inputs`
      );
    }
    if (typeof dt === "number") this.dtBuf.fill(dt);
    else this.dtBuf.set(dt);
    let h = input;
    const sc = m.scaling;
    if (sc && this.scaled) {
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < m.inputs; c++) {
          const i = n * m.inputs + c;
          this.scaled[i] = (input[i] - sc.inputMean[c]) / sc.inputStd[c];
        }
      }
      h = this.scaled;
    }
    const xin = h;
    let hStride = m.inputs;
    let hOffset = 0;
    for (const l of this.layers) {
      const units = l.spec.units;
      if (l.spec.kind === "dense") {
        matvecRows(l.W, units, l.inWidth, h, hOffset, hStride, l.pre, N, false);
      } else {
        matvecRows(l.W, units, units, this.state, l.stateOffset, this.stateWidth, l.pre, N, false);
        matvecRows(l.U, units, l.inWidth, h, hOffset, hStride, l.pre, N, true);
      }
      for (let n = 0; n < N; n++) for (let r = 0; r < units; r++) l.pre[n * units + r] += l.b[r];
      l.kernel.forwardInto(l.pre, l.affine, l.weights, l.act);
      if (l.spec.kind === "liquid") {
        const x = this.liquidNext.subarray(0, N * units);
        for (let n = 0; n < N; n++) {
          for (let r = 0; r < units; r++)
            x[n * units + r] = this.state[n * this.stateWidth + l.stateOffset + r];
        }
        liquidStepInto(x, l.act, l.tau, this.dtBuf, x);
        for (let n = 0; n < N; n++) {
          for (let r = 0; r < units; r++)
            this.state[n * this.stateWidth + l.stateOffset + r] = x[n * units + r];
        }
        h = this.state;
        hOffset = l.stateOffset;
        hStride = this.stateWidth;
      } else {
        h = l.act;
        hOffset = 0;
        hStride = units;
      }
    }
    const last = this.layers[this.layers.length - 1].spec.units;
    matvecRows(this.readoutW, m.outputs, last, h, hOffset, hStride, out, N, false);
    for (let n = 0; n < N; n++) {
      for (let r = 0; r < m.outputs; r++) {
        const i = n * m.outputs + r;
        let y = out[i] + this.readoutB[r];
        if (m.residualInput !== void 0) y += xin[n * m.inputs + m.residualInput];
        out[i] = sc ? y * sc.outputStd[r] + sc.outputMean[r] : y;
      }
    }
  }
};
function runSequence(model2, inputs, dts) {
  const T = inputs.length / model2.inputs;
  if (!Number.isInteger(T)) {
    throw new ShapeError(
      `runSequence: ${inputs.length} input values are not a whole number of ${model2.inputs}-wide rows`
    );
  }
  const runner = new ReferenceRunner(model2, 1);
  const out = new Float64Array(T * model2.outputs);
  const row = new Float64Array(model2.outputs);
  for (let t = 0; t < T; t++) {
    runner.step(
      inputs.subarray(t * model2.inputs, (t + 1) * model2.inputs),
      dts ? dts[t] : model2.dtDefault,
      row
    );
    out.set(row, t * model2.outputs);
  }
  return out;
}

// shared/model/store.ts
import { createHash as createHash3 } from "node:crypto";
init_errors();

// shared/io/json-file.ts
init_errors();
import { readFileSync } from "node:fs";
function formatIssuePath(path) {
  return path.map((p, i) => typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`).join("");
}
function firstIssue(error) {
  const issue = error.issues[0];
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  return { field: formatIssuePath(path), message: issue.message };
}
function parseWithSchema(schema3, value, file) {
  const result = schema3.safeParse(value);
  if (!result.success) {
    const { field, message: message2 } = firstIssue(result.error);
    throw new SchemaError(file, field, message2);
  }
  return result.data;
}
function readJsonFile(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SchemaError(file, "", `cannot read the file (${err.message})`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SchemaError(file, "", `not valid JSON (${err.message})`, { cause: err });
  }
}
function readJsonWithSchema(schema3, file) {
  return parseWithSchema(schema3, readJsonFile(file), file);
}

// shared/library/library.ts
import { createHash as createHash2 } from "node:crypto";
import { z as z5 } from "zod";
init_errors();
var LIBRARY_FORMAT = "liquidkan-library";
var LIBRARY_FILE = "library.json";
var LibraryFileSchema = z5.object({
  format: z5.literal(LIBRARY_FORMAT),
  version: z5.number().int().nonnegative(),
  hash: z5.string().regex(/^[0-9a-f]{64}$/),
  parent: z5.object({ version: z5.number().int().nonnegative(), hash: z5.string() }).strict().optional(),
  entries: z5.array(z5.unknown()).min(1)
}).strict();
function libraryHash(entries) {
  return createHash2("sha256").update(canonicalJson(entries)).digest("hex");
}
function makeLibrary(entries, version, parent) {
  const seen = /* @__PURE__ */ new Set();
  for (const e of entries) {
    if (seen.has(e.id)) throw new InputError(`library: entry id ${e.id} (${e.name}) appears twice`);
    seen.add(e.id);
  }
  return {
    version,
    hash: libraryHash(entries),
    entries,
    ...parent ? { parent: { version: parent.version, hash: parent.hash } } : {}
  };
}
function classicLibrary() {
  return makeLibrary(classicEntries(), 1);
}
function libraryToJson(lib) {
  const file = {
    format: LIBRARY_FORMAT,
    version: lib.version,
    hash: lib.hash,
    ...lib.parent ? { parent: lib.parent } : {},
    entries: lib.entries
  };
  return `${JSON.stringify(file, null, 2)}
`;
}

// shared/types/model.ts
import { z as z6 } from "zod";
var MODEL_FORMAT = "liquidkan-model";
var MODEL_FORMAT_VERSION = 1;
var SelectorSchema = z6.object({
  /** Library entry ids the layer may use, in the order of logits and affine rows. */
  candidates: z6.array(z6.string().min(1)).min(1),
  /** 'soft': softmax mixture of every candidate; 'hard': only candidates[chosen]. */
  mode: z6.enum(["soft", "hard"]),
  /** Softmax temperature of the soft mixture (annealed towards 0 in training). */
  temperature: z6.number().positive(),
  chosen: z6.number().int().nonnegative()
}).strict().refine((s) => s.chosen < s.candidates.length, {
  message: "chosen must index into candidates",
  path: ["chosen"]
});
var DenseLayerSchema = z6.object({ kind: z6.literal("dense"), units: z6.number().int().positive(), selector: SelectorSchema }).strict();
var LiquidLayerSchema = z6.object({
  kind: z6.literal("liquid"),
  units: z6.number().int().positive(),
  /** τ = tauMin + (tauMax - tauMin)·sigmoid(ρ), per neuron, in the time unit of Δt. */
  tauMin: z6.number().positive(),
  tauMax: z6.number().positive(),
  selector: SelectorSchema
}).strict().refine((l) => l.tauMax > l.tauMin, { message: "tauMax must exceed tauMin", path: ["tauMax"] });
var LayerSchema = z6.union([DenseLayerSchema, LiquidLayerSchema]);
var ScalingSchema = z6.object({
  inputMean: z6.array(z6.number()),
  inputStd: z6.array(z6.number().positive()),
  outputMean: z6.array(z6.number()),
  outputStd: z6.array(z6.number().positive())
}).strict();
var TensorRecordSchema = z6.object({ name: z6.string(), shape: z6.array(z6.number().int().nonnegative()) }).strict();
var ModelJsonSchema = z6.object({
  format: z6.literal(MODEL_FORMAT),
  formatVersion: z6.literal(MODEL_FORMAT_VERSION),
  inputs: z6.number().int().positive(),
  outputs: z6.number().int().positive(),
  /** Dense layers first, then liquid layers, then the linear readout. */
  layers: z6.array(LayerSchema).min(1),
  /** Δt used when a caller gives none (same unit as τ). */
  dtDefault: z6.number().positive(),
  scaling: ScalingSchema.optional(),
  /**
   * Index of an input added to every output (in standardised units) before the output scaling:
   * a persistence skip, so a forecaster learns the change instead of the level.
   */
  residualInput: z6.number().int().nonnegative().optional(),
  seed: z6.number().int(),
  library: z6.object({ version: z6.number().int().nonnegative(), hash: z6.string() }).strict(),
  weights: z6.object({
    file: z6.literal("weights.bin"),
    sha256: z6.string().regex(/^[0-9a-f]{64}$/),
    tensors: z6.array(TensorRecordSchema)
  }).strict(),
  createdBy: z6.string().optional()
}).strict().refine(
  (m) => !m.scaling || m.scaling.inputMean.length === m.inputs && m.scaling.inputStd.length === m.inputs && m.scaling.outputMean.length === m.outputs && m.scaling.outputStd.length === m.outputs,
  { message: "scaling arrays must have one value per input and per output", path: ["scaling"] }
).refine((m) => m.residualInput === void 0 || m.residualInput < m.inputs, {
  message: "residualInput must index one of the inputs",
  path: ["residualInput"]
});

// shared/model/store.ts
var MODEL_FILE = "model.json";
var WEIGHTS_FILE = "weights.bin";
function encodeWeights(model2) {
  const layout = parameterLayout(model2);
  let total = 0;
  for (const t of layout) total += model2.params.get(t.name).length;
  const buf = Buffer.alloc(total * 8);
  let off = 0;
  for (const t of layout) {
    for (const v of model2.params.get(t.name)) {
      buf.writeDoubleLE(v, off);
      off += 8;
    }
  }
  return { bytes: buf, tensors: layout.map((t) => ({ name: t.name, shape: [...t.shape] })) };
}
function modelToFiles(model2, createdBy = "liquidkan") {
  checkParams(model2, "model");
  const { bytes, tensors } = encodeWeights(model2);
  const json = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    inputs: model2.inputs,
    outputs: model2.outputs,
    layers: [...model2.layers],
    dtDefault: model2.dtDefault,
    ...model2.scaling ? { scaling: model2.scaling } : {},
    ...model2.residualInput !== void 0 ? { residualInput: model2.residualInput } : {},
    seed: model2.seed,
    library: { version: model2.library.version, hash: model2.library.hash },
    weights: { file: WEIGHTS_FILE, sha256: createHash3("sha256").update(bytes).digest("hex"), tensors },
    createdBy
  };
  return {
    [MODEL_FILE]: `${JSON.stringify(json, null, 2)}
`,
    [WEIGHTS_FILE]: bytes,
    [LIBRARY_FILE]: libraryToJson(model2.library)
  };
}

// shared/numeric/rng.ts
init_errors();
function splitmix32(state) {
  let z9 = state + 2654435769 | 0;
  z9 = Math.imul(z9 ^ z9 >>> 16, 2246822507);
  z9 = Math.imul(z9 ^ z9 >>> 13, 3266489909);
  return (z9 ^ z9 >>> 16) >>> 0;
}
function hashLabel(label2) {
  let h = 2166136261;
  for (let i = 0; i < label2.length; i++) h = Math.imul(h ^ label2.charCodeAt(i), 16777619);
  return h >>> 0;
}
var TWO_POW_32 = 4294967296;
var TWO_POW_53 = 9007199254740992;
var Rng = class _Rng {
  /** The two 32-bit words that name this stream; fork() hashes them with a label. */
  keyLo;
  keyHi;
  a;
  b;
  c;
  d;
  /** Box–Muller makes normals in pairs; the second waits here. */
  spareNormal = null;
  /** @param seed an integer in [0, 2^53); the same seed always gives the same sequence. */
  constructor(seed) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InputError(`Rng seed must be an integer in [0, 2^53), got ${seed}`);
    }
    this.keyLo = seed >>> 0;
    this.keyHi = Math.floor(seed / TWO_POW_32) >>> 0;
    let s = splitmix32(this.keyLo ^ Math.imul(this.keyHi, 668265263));
    this.a = s;
    s = splitmix32(s ^ this.keyHi);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }
  /** A uniform 32-bit unsigned integer. */
  nextUint32() {
    const t = (this.a + this.b | 0) + this.d | 0;
    this.d = this.d + 1 | 0;
    this.a = this.b ^ this.b >>> 9;
    this.b = this.c + (this.c << 3) | 0;
    this.c = this.c << 21 | this.c >>> 11;
    this.c = this.c + t | 0;
    return t >>> 0;
  }
  /** Uniform in [0, 1) with 53 random bits (every double of the form m·2^-53). */
  next() {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / TWO_POW_53;
  }
  /** Uniform in [lo, hi). */
  uniform(lo, hi) {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal N(0, 1) by the Box–Muller transform. */
  normal() {
    if (this.spareNormal !== null) {
      const z9 = this.spareNormal;
      this.spareNormal = null;
      return z9;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** A uniform integer in [0, n), without modulo bias; n must be a positive integer ≤ 2^32. */
  int(n) {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new InputError(`Rng.int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - TWO_POW_32 % n;
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }
  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle(array) {
    const a = array;
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return array;
  }
  /** Fill `out` with uniform values in [lo, hi); returns out. */
  fillUniform(out, lo, hi) {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
  /** Fill `out` with N(mean, std²) values; returns out. */
  fillNormal(out, mean = 0, std = 1) {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }
  /**
   * An independent stream named by this stream's seed and `label`. Forking twice with the same
   * label gives the same stream; the parent's position does not matter and is not advanced.
   */
  fork(label2) {
    const h = hashLabel(label2);
    const lo = splitmix32(this.keyLo ^ h) ^ this.keyHi;
    const hi = splitmix32(this.keyHi ^ Math.imul(h, 2654435761)) & 2097151;
    return new _Rng(hi * TWO_POW_32 + (lo >>> 0));
  }
};

// shared/export/export.ts
init_model_builder();

// shared/types/manifest.ts
import { z as z8 } from "zod";

// shared/types/profile.ts
import { z as z7 } from "zod";
var QUANTIZATIONS = ["fp32", "fp16", "int8"];
var ENGINE_NAMES = ["native", "wasm", "js"];
var FirmwareProfileSchema = z7.object({
  name: z7.string().regex(/^[a-z0-9-]+$/),
  description: z7.string(),
  board: z7.string(),
  /** CPU architectures the board runs; onnxruntime-node has no 32-bit ARM build. */
  arch: z7.array(z7.enum(["arm64", "armv7", "x64"])).min(1),
  cores: z7.number().int().positive(),
  memoryMB: z7.number().int().positive(),
  /** Intra-op threads the runtime gives onnxruntime. */
  threads: z7.number().int().positive(),
  /** Inference engines in order of preference; the runtime falls back along this list. */
  engines: z7.array(z7.enum(ENGINE_NAMES)).min(1),
  /** onnxruntime execution providers in order of preference. */
  executionProviders: z7.array(z7.enum(["cpu"])).min(1),
  accelerator: z7.object({
    present: z7.boolean(),
    usedByRuntime: z7.boolean(),
    note: z7.string()
  }).strict(),
  quantization: z7.object({
    default: z7.enum(QUANTIZATIONS),
    allowed: z7.array(z7.enum(QUANTIZATIONS)).min(1)
  }).strict(),
  libraryEntryBudget: z7.number().int().positive(),
  modelSizeBudgetBytes: z7.number().int().positive(),
  stepLatencyBudgetUs: z7.number().positive()
}).strict().refine((p) => p.threads <= p.cores, { message: "threads must not exceed cores", path: ["threads"] }).refine((p) => p.quantization.allowed.includes(p.quantization.default), {
  message: "quantization.default must be one of quantization.allowed",
  path: ["quantization", "default"]
});

// shared/types/manifest.ts
var EXPORT_FORMAT = "liquidkan-export";
var IoSchema = z8.object({ name: z8.string(), dims: z8.array(z8.union([z8.number().int(), z8.string()])) }).strict();
var FileSchema = z8.object({
  file: z8.string(),
  sha256: z8.string().regex(/^[0-9a-f]{64}$/),
  bytes: z8.number().int().positive()
}).strict();
var ExportManifestSchema = z8.object({
  format: z8.literal(EXPORT_FORMAT),
  formatVersion: z8.literal(1),
  createdBy: z8.string(),
  profile: z8.string(),
  quant: z8.enum(QUANTIZATIONS),
  /** Each weight matrix's stored precision: an int8 export keeps some at fp16 when int8 costs too much. */
  weightPrecision: z8.record(z8.string(), z8.enum(QUANTIZATIONS)).optional(),
  onnx: z8.object({ irVersion: z8.number().int(), opset: z8.number().int() }).strict(),
  model: z8.object({
    inputs: z8.number().int().positive(),
    outputs: z8.number().int().positive(),
    stateWidth: z8.number().int().nonnegative(),
    dtDefault: z8.number().positive(),
    parameters: z8.number().int().positive(),
    weightsSha256: z8.string()
  }).strict(),
  library: z8.object({ version: z8.number().int(), hash: z8.string() }).strict(),
  /** Per layer: how φ was exported (hard choice or the soft mixture). */
  selection: z8.array(
    z8.object({
      layer: z8.number().int(),
      kind: z8.enum(["dense", "liquid"]),
      mode: z8.enum(["soft", "hard"]),
      entries: z8.array(z8.object({ id: z8.string(), name: z8.string(), weight: z8.number() }).strict())
    }).strict()
  ),
  tau: z8.object({ default: z8.array(z8.number()), min: z8.array(z8.number()), max: z8.array(z8.number()) }).strict(),
  step: z8.object({ file: FileSchema, inputs: z8.array(IoSchema), outputs: z8.array(IoSchema) }).strict(),
  sequence: z8.object({ file: FileSchema, inputs: z8.array(IoSchema), outputs: z8.array(IoSchema) }).strict(),
  /**
   * Quantisation error against the float64 reference on a seeded probe sequence, and the
   * first-order bound derived from the weight quantisation step (for fp32: the float32
   * rounding of the weights, which the error column leaves out since the reference is float64).
   */
  accuracy: z8.object({
    probeSteps: z8.number().int().positive(),
    maxAbsErrorVsFp32: z8.number().nonnegative(),
    boundVsFp32: z8.number().nonnegative(),
    /** Test error of this precision next to fp32's, when the model's test data was at hand. */
    test: z8.object({
      metric: z8.string(),
      fp32: z8.number().nonnegative(),
      value: z8.number().nonnegative(),
      relativeIncrease: z8.number()
    }).strict().optional()
  }).strict()
}).strict();

// shared/export/graph.ts
init_float16();
init_model_builder();

// shared/onnx/quantize.ts
init_errors();
init_tensor_proto();
var INT8_QMAX = 127;
function quantizePerChannel(weights, rows, cols) {
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
    const scale2 = max === 0 ? 1 : Math.fround(max / INT8_QMAX);
    scales[r] = scale2;
    for (let j = 0; j < cols; j++) {
      const x = weights[r * cols + j] / scale2;
      const q = Math.sign(x) * Math.round(Math.abs(x));
      values[r * cols + j] = Math.max(-INT8_QMAX, Math.min(INT8_QMAX, q));
    }
  }
  return { values, scales, rows, cols };
}
function dequantize(q) {
  const out = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let j = 0; j < q.cols; j++) out[r * q.cols + j] = q.values[r * q.cols + j] * q.scales[r];
  }
  return out;
}
function emitInt8Weight(b, q, hint = "w") {
  const w = b.initializerI8(q.values, [q.rows, q.cols], `${hint}_q`);
  const scale2 = b.initializerF32(q.scales, [q.rows], `${hint}_s`);
  return b.node("DequantizeLinear", [w, scale2], { axis: { i: 0 } }, hint);
}
function emitFloat16Weight(b, values, dims, hint = "w") {
  const half = b.initializerF16(values, dims, `${hint}_h`);
  return b.node("Cast", [half], { to: { i: DATA_TYPE.float32 } }, hint);
}

// shared/export/graph.ts
function emitWeights(g, model2, qw) {
  const names = /* @__PURE__ */ new Map();
  model2.layers.forEach((layer, i) => {
    const p = `L${i}`;
    const mats = layer.kind === "dense" ? ["W"] : ["W", "U"];
    for (const m of mats) names.set(`${p}.${m}`, emitMatrix(g, qw, `${p}.${m}`, layer.units));
    names.set(`${p}.b`, g.initializerF32(param(model2, `${p}.b`), [layer.units], `${p}b`));
  });
  names.set("readout.W", emitMatrix(g, qw, "readout.W", model2.outputs));
  names.set("readout.b", g.initializerF32(param(model2, "readout.b"), [model2.outputs], "rb"));
  return names;
}
function emitMatrix(g, qw, name, rows) {
  const w = param(qw.model, name);
  const cols = w.length / rows;
  const hint = name.replace("readout.", "r").replace(/^L(\d+)\./, "l$1").toLowerCase();
  const precision = qw.precision.get(name);
  if (precision === "int8") return emitInt8Weight(g, qw.int8.get(name), hint);
  if (precision === "fp16") return emitFloat16Weight(g, toFloat16(w), [rows, cols], hint);
  return g.initializerF32(w, [rows, cols], hint);
}
function emitSelector(g, model2, i, pre) {
  const layer = model2.layers[i];
  const entries = layerCandidates(model2, layer);
  const aff = param(model2, `L${i}.affine`);
  const w = new Float64Array(entries.length);
  const s = layer.selector;
  selectorWeightsInto(param(model2, `L${i}.logits`), s.temperature, s.mode, s.chosen, w);
  let sum = null;
  entries.forEach((entry, k) => {
    if (w[k] === 0) return;
    const affine = { a: aff[4 * k], b: aff[4 * k + 1], c: aff[4 * k + 2], d: aff[4 * k + 3] };
    let y = emitActivation(g, pre, entry, affine);
    if (w[k] !== 1) y = g.node("Mul", [y, g.scalar(w[k])]);
    sum = sum === null ? y : g.node("Add", [sum, y]);
  });
  return sum;
}
function emitStep(g, model2, weights, io) {
  const H = stateWidth(model2);
  const sc = model2.scaling;
  const xin = sc ? g.node("Div", [
    g.node("Sub", [io.input, g.constant(sc.inputMean, [model2.inputs])]),
    g.constant(sc.inputStd, [model2.inputs])
  ]) : io.input;
  let h = xin;
  let offset = 0;
  const states = [];
  model2.layers.forEach((layer, i) => {
    const p = `L${i}`;
    if (layer.kind === "dense") {
      const pre2 = g.node("Gemm", [h, weights.get(`${p}.W`), weights.get(`${p}.b`)], { transB: { i: 1 } });
      h = emitSelector(g, model2, i, pre2);
      return;
    }
    const slice = (t, axis) => layer.units === H ? t : g.node("Slice", [
      t,
      g.initializerI64([offset], [1]),
      g.initializerI64([offset + layer.units], [1]),
      g.initializerI64([axis], [1])
    ]);
    const x = slice(io.state, 1);
    const tauRaw = slice(io.tau, 0);
    const tau = g.node("Clip", [tauRaw, g.scalar(layer.tauMin), g.scalar(layer.tauMax)]);
    const rec = g.node("Gemm", [x, weights.get(`${p}.W`), weights.get(`${p}.b`)], { transB: { i: 1 } });
    const pre = g.node("Gemm", [h, weights.get(`${p}.U`), rec], { transB: { i: 1 } });
    const phi = emitSelector(g, model2, i, pre);
    const negInvTau = g.node("Div", [g.scalar(-1), tau]);
    const e = g.node("Exp", [g.node("Mul", [io.dt, negInvTau])]);
    const tp = g.node("Mul", [tau, phi]);
    const next = g.node("Add", [tp, g.node("Mul", [e, g.node("Sub", [x, tp])])]);
    states.push(next);
    h = next;
    offset += layer.units;
  });
  let output = g.node("Gemm", [h, weights.get("readout.W"), weights.get("readout.b")], {
    transB: { i: 1 }
  });
  if (model2.residualInput !== void 0) {
    const k = model2.residualInput;
    const column = g.node("Slice", [
      xin,
      g.initializerI64([k], [1]),
      g.initializerI64([k + 1], [1]),
      g.initializerI64([1], [1])
    ]);
    output = g.node("Add", [output, column]);
  }
  if (sc) {
    output = g.node("Add", [
      g.node("Mul", [output, g.constant(sc.outputStd, [model2.outputs])]),
      g.constant(sc.outputMean, [model2.outputs])
    ]);
  }
  const state = states.length === 0 ? null : states.length === 1 ? states[0] : g.node("Concat", states, { axis: { i: 1 } });
  return { output, state };
}
function defaultTau(model2) {
  const tau = new Float64Array(stateWidth(model2));
  const min = [];
  const max = [];
  let off = 0;
  model2.layers.forEach((l, i) => {
    if (l.kind !== "liquid") return;
    tauFromRhoInto(param(model2, `L${i}.rho`), l.tauMin, l.tauMax, tau.subarray(off, off + l.units));
    for (let k = 0; k < l.units; k++) {
      min.push(l.tauMin);
      max.push(l.tauMax);
    }
    off += l.units;
  });
  return { tau, min, max };
}
function declareCommon(g, model2, sequence) {
  const H = stateWidth(model2);
  const inputs = [];
  const add2 = (name, dims) => {
    g.input(name, "float32", dims);
    inputs.push({ name, dims });
    return name;
  };
  const input = add2("input", sequence ? ["N", "T", model2.inputs] : ["N", model2.inputs]);
  const state = H > 0 ? add2("state", ["N", H]) : null;
  const dt = add2("dt", sequence ? ["N", "T", 1] : ["N", 1]);
  let tau = null;
  if (H > 0) {
    tau = g.inputWithDefault("tau", defaultTau(model2).tau, [H]);
    inputs.push({ name: "tau", dims: [H] });
  }
  return { inputs, io: { input, state, dt, tau } };
}
function buildStepGraph(model2, qw) {
  const g = new OnnxModelBuilder({ graphName: "lkan_step", docString: "liquidkan hybrid, one step" });
  const { inputs, io } = declareCommon(g, model2, false);
  const weights = emitWeights(g, model2, qw);
  const r = emitStep(g, model2, weights, io);
  const H = stateWidth(model2);
  const outputs = [{ name: "output", dims: ["N", model2.outputs] }];
  g.output("output", "float32", outputs[0].dims, r.output);
  if (r.state) {
    outputs.push({ name: "state_out", dims: ["N", H] });
    g.output("state_out", "float32", ["N", H], r.state);
  }
  return { bytes: g.toBytes(), inputs, outputs };
}
function buildSequenceGraph(model2, qw) {
  const g = new OnnxModelBuilder({
    graphName: "lkan_sequence",
    docString: "liquidkan hybrid, Scan over a window"
  });
  const { inputs, io } = declareCommon(g, model2, true);
  const weights = emitWeights(g, model2, qw);
  const H = stateWidth(model2);
  const body = g.subgraph("lkan_body");
  const bState = H > 0 ? body.input("s_in", "float32", ["N", H]) : null;
  const bInput = body.input("x_t", "float32", ["N", model2.inputs]);
  const bDt = body.input("dt_t", "float32", ["N", 1]);
  const r = emitStep(body, model2, weights, { input: bInput, state: bState, dt: bDt, tau: io.tau });
  if (r.state) body.output("s_out", "float32", ["N", H], r.state);
  body.output("y_t", "float32", ["N", model2.outputs], r.output);
  const scanInputs = [...io.state ? [io.state] : [], io.input, io.dt];
  const outs = g.nodeMulti("Scan", scanInputs, H > 0 ? 2 : 1, {
    body: { graph: body.finish() },
    num_scan_inputs: { i: 2 },
    scan_input_axes: { ints: [1, 1] },
    scan_output_axes: { ints: [1] }
  });
  const outputs = [{ name: "output", dims: ["N", "T", model2.outputs] }];
  g.output("output", "float32", outputs[0].dims, outs[outs.length - 1]);
  if (H > 0) {
    outputs.push({ name: "state_out", dims: ["N", H] });
    g.output("state_out", "float32", ["N", H], outs[0]);
  }
  return { bytes: g.toBytes(), inputs, outputs };
}

// shared/export/quantize-model.ts
init_float16();
var HALF_ULP_FP16 = 2 ** -11;
function quantizeWeights(model2, quant, fp16 = /* @__PURE__ */ new Set()) {
  const q = cloneModel(model2);
  const int8 = /* @__PURE__ */ new Map();
  const stepBound = /* @__PURE__ */ new Map();
  const precision = /* @__PURE__ */ new Map();
  for (const t of parameterLayout(model2)) {
    if (!isWeightMatrix(t.name)) continue;
    const w = model2.params.get(t.name);
    const [rows, cols] = t.shape;
    const bound = new Float64Array(w.length);
    const p = quant === "int8" && fp16.has(t.name) ? "fp16" : quant;
    precision.set(t.name, p);
    if (p === "int8") {
      const m = quantizePerChannel(w, rows, cols);
      int8.set(t.name, m);
      q.params.set(t.name, Float64Array.from(dequantize(m)));
      for (let r = 0; r < rows; r++) bound.fill(m.scales[r] / 2, r * cols, (r + 1) * cols);
    } else if (p === "fp16") {
      q.params.set(t.name, Float64Array.from(roundToFloat16(w)));
      for (let i = 0; i < w.length; i++) bound[i] = Math.max(Math.abs(w[i]) * HALF_ULP_FP16, 2 ** -25);
    } else {
      q.params.set(t.name, Float64Array.from(Float32Array.from(w)));
      for (let i = 0; i < w.length; i++) bound[i] = Math.abs(w[i]) * 2 ** -24;
    }
    stepBound.set(t.name, bound);
  }
  return { quant, model: q, int8, stepBound, precision };
}

// shared/export/mixed-precision.ts
function fp16Exceptions(model2, budget) {
  const limit = budget.relative ?? 0.01;
  const base = budget.validationLoss(quantizeWeights(model2, "fp32").model);
  const keep = /* @__PURE__ */ new Set();
  if (!(base > 0)) return keep;
  const cost = () => budget.validationLoss(quantizeWeights(model2, "int8", keep).model) / base - 1;
  const matrices = [...model2.params.keys()].filter(isWeightMatrix);
  let current = cost();
  while (current > limit && keep.size < matrices.length) {
    let best = "";
    let bestCost = Infinity;
    for (const m of matrices) {
      if (keep.has(m)) continue;
      keep.add(m);
      const c = cost();
      keep.delete(m);
      if (c < bestCost) {
        best = m;
        bestCost = c;
      }
    }
    keep.add(best);
    current = bestCost;
  }
  return keep;
}

// shared/liquid/cell-op.ts
init_errors();
function liquidStep(tape, x, phi, rho, dt, tauMin, tauMax) {
  const H = rho.size;
  if (x.size !== dt.length * H || phi.size !== x.size) {
    throw new ShapeError(
      `liquidStep: x [${x.shape}] and phi [${phi.shape}] must both be [${dt.length}, ${H}] for ${H} neurons`
    );
  }
  const tau = new Float64Array(H);
  const dtau = new Float64Array(H);
  tauFromRhoInto(rho.data, tauMin, tauMax, tau, dtau);
  const out = new Float64Array(x.size);
  liquidStepInto(x.data, phi.data, tau, dt, out);
  return tape.record(
    out,
    x.shape,
    [x, phi, rho],
    (o) => {
      const gtau = rho.requiresGrad ? new Float64Array(H) : null;
      liquidStepBackward(x.data, phi.data, tau, dt, o.grad, x.grad, phi.grad, gtau);
      if (gtau) for (let i = 0; i < H; i++) rho.grad[i] += gtau[i] * dtau[i];
    },
    "liquidStep"
  );
}

// shared/numeric/ops-check.ts
init_errors();
function fmtShape(shape) {
  return `[${shape.join(", ")}]`;
}
function sameShape(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function assertSameShape(op, a, b) {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  }
}
function assertMatrix(op, x, name = "input") {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: ${name} must be 2-D, got ${fmtShape(x.shape)}`);
  return [x.shape[0], x.shape[1]];
}

// shared/numeric/ops-elementwise.ts
function add(tape, a, b) {
  assertSameShape("add", a, b);
  const y = new Float64Array(a.size);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i] + b.data[i];
  return tape.record(
    y,
    a.shape,
    [a, b],
    (out) => {
      const g = out.grad;
      if (a.requiresGrad) for (let i = 0; i < g.length; i++) a.grad[i] += g[i];
      if (b.requiresGrad) for (let i = 0; i < g.length; i++) b.grad[i] += g[i];
    },
    "add"
  );
}

// shared/numeric/ops-linear.ts
init_errors();
function addBias(tape, x, b) {
  const [m, n] = assertMatrix("addBias", x);
  if (b.shape.length !== 1 || b.shape[0] !== n) {
    throw new ShapeError(`addBias: bias ${fmtShape(b.shape)} does not match input ${fmtShape(x.shape)}`);
  }
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) y[r * n + j] = x.data[r * n + j] + b.data[j];
  return tape.record(
    y,
    x.shape,
    [x, b],
    (out) => {
      const g = out.grad;
      if (x.requiresGrad) for (let i = 0; i < g.length; i++) x.grad[i] += g[i];
      if (b.requiresGrad) {
        const gb = b.grad;
        for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) gb[j] += g[r * n + j];
      }
    },
    "addBias"
  );
}
function mulRow(tape, x, v) {
  const [m, n] = assertMatrix("mulRow", x);
  if (v.shape.length !== 1 || v.shape[0] !== n) {
    throw new ShapeError(`mulRow: vector ${fmtShape(v.shape)} does not match input ${fmtShape(x.shape)}`);
  }
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) y[r * n + j] = x.data[r * n + j] * v.data[j];
  return tape.record(
    y,
    x.shape,
    [x, v],
    (out) => {
      const g = out.grad;
      if (x.requiresGrad) {
        for (let r = 0; r < m; r++)
          for (let j = 0; j < n; j++) x.grad[r * n + j] += g[r * n + j] * v.data[j];
      }
      if (v.requiresGrad) {
        const gv = v.grad;
        for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) gv[j] += g[r * n + j] * x.data[r * n + j];
      }
    },
    "mulRow"
  );
}
function matmulTransposedB(tape, x, w) {
  const [m, k] = assertMatrix("matmulTransposedB", x, "input");
  const [n, k2] = assertMatrix("matmulTransposedB", w, "weight");
  if (k !== k2) {
    throw new ShapeError(
      `matmulTransposedB: input ${fmtShape(x.shape)} has ${k} columns but weight ${fmtShape(w.shape)} (stored [out, in]) expects ${k2}`
    );
  }
  const X = x.data;
  const W = w.data;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let o = 0; o < n; o++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += X[i * k + p] * W[o * k + p];
      y[i * n + o] = s;
    }
  }
  return tape.record(
    y,
    [m, n],
    [x, w],
    (out) => {
      const G = out.grad;
      if (x.requiresGrad) {
        const gX = x.grad;
        for (let i = 0; i < m; i++) {
          for (let o = 0; o < n; o++) {
            const g = G[i * n + o];
            if (g === 0) continue;
            for (let p = 0; p < k; p++) gX[i * k + p] += g * W[o * k + p];
          }
        }
      }
      if (w.requiresGrad) {
        const gW = w.grad;
        for (let i = 0; i < m; i++) {
          for (let o = 0; o < n; o++) {
            const g = G[i * n + o];
            if (g === 0) continue;
            for (let p = 0; p < k; p++) gW[o * k + p] += g * X[i * k + p];
          }
        }
      }
    },
    "matmulTransposedB"
  );
}

// shared/numeric/ops-loss.ts
init_errors();

// shared/numeric/ops-reduce.ts
init_errors();

// shared/numeric/ops-shape.ts
init_errors();

// shared/numeric/tape.ts
init_errors();
function sizeOf(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
var Var = class _Var {
  data;
  shape;
  /** Gradient of the loss with respect to data; allocated only when requiresGrad. */
  grad;
  requiresGrad;
  /** For debugging and error messages: the op or parameter that made this Var. */
  label;
  constructor(data, shape, requiresGrad = false, label2 = "") {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        `${label2 || "tensor"}: ${data.length} values do not fill shape [${shape.join(", ")}]`
      );
    }
    this.data = data;
    this.shape = shape;
    this.requiresGrad = requiresGrad;
    this.grad = requiresGrad ? new Float64Array(data.length) : null;
    this.label = label2;
  }
  get size() {
    return this.data.length;
  }
  /** A trainable leaf. */
  static param(data, shape, label2 = "param") {
    return new _Var(data instanceof Float64Array ? data : Float64Array.from(data), shape, true, label2);
  }
  /** A constant leaf: no gradient is kept for it. */
  static constant(data, shape, label2 = "const") {
    return new _Var(data instanceof Float64Array ? data : Float64Array.from(data), shape, false, label2);
  }
  zeroGrad() {
    this.grad?.fill(0);
  }
};
var Tape = class {
  steps = [];
  /**
   * Make the output Var of an op. When a parent needs a gradient the output does too and
   * `backward` is recorded; it must read out.grad and add into the parents' grads.
   */
  record(data, shape, parents, backward, label2) {
    const needs = parents.some((p) => p.requiresGrad);
    const out = new Var(data, shape, needs, label2);
    if (needs) this.steps.push(() => backward(out));
    return out;
  }
  /** Seed d(loss)/d(loss) = 1 for a scalar loss and run every recorded rule in reverse. */
  backward(loss) {
    if (loss.size !== 1)
      throw new ShapeError(`backward() needs a scalar loss, got shape [${loss.shape.join(", ")}]`);
    this.seed(loss, 0);
  }
  /**
   * Backpropagate from one element of any tensor: afterwards every parameter's grad holds
   * d out[index] / d param (added to what it held). Used for per-output sensitivities.
   */
  seed(out, index) {
    if (!out.grad) return;
    if (index < 0 || index >= out.size) throw new ShapeError(`seed: index ${index} outside [0, ${out.size})`);
    out.grad[index] += 1;
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]();
  }
  get length() {
    return this.steps.length;
  }
  /** Forget the recorded graph (intermediate Vars become garbage); parameters keep their grads. */
  reset() {
    this.steps.length = 0;
  }
};

// shared/model/selector-op.ts
init_errors();
function selectorMix(tape, u, logits, affine, s) {
  const K = s.kernel.candidates.length;
  if (logits.size !== K || affine.size !== 4 * K) {
    throw new ShapeError(
      `selectorMix: ${K} candidates need logits [${K}] and affine [${K}, 4], got [${logits.shape}] and [${affine.shape}]`
    );
  }
  const w = new Float64Array(K);
  selectorWeightsInto(logits.data, s.temperature, s.mode, s.chosen, w);
  const y = new Float64Array(u.size);
  const cache = s.kernel.forwardCached(u.data, affine.data, w, y);
  return tape.record(
    y,
    u.shape,
    [u, logits, affine],
    (o) => {
      s.kernel.backward(
        u.data,
        affine.data,
        w,
        s.temperature,
        s.mode,
        o.grad,
        u.grad,
        affine.grad,
        logits.grad,
        cache
      );
    },
    "selectorMix"
  );
}

// shared/model/tape-forward.ts
function paramVars(model2) {
  const vars = /* @__PURE__ */ new Map();
  for (const [name, data] of model2.params) {
    const shape = name.endsWith(".W") || name.endsWith(".U") ? matrixShape(model2, name, data.length) : [data.length];
    vars.set(name, Var.param(data, shape, name));
  }
  return vars;
}
function matrixShape(model2, name, size) {
  const rows = name.startsWith("readout") ? model2.outputs : model2.layers[Number(name.slice(1, name.indexOf(".")))].units;
  return [rows, size / rows];
}
function selectorStates(model2) {
  return model2.layers.map((layer) => ({
    kernel: new SelectorKernel(layerCandidates(model2, layer).map((e) => compileActivation(e))),
    mode: layer.selector.mode,
    temperature: layer.selector.temperature,
    chosen: layer.selector.chosen
  }));
}
function forwardOnTape(tape, model2, vars, selectors, inputs, dts, N, steps) {
  const T = dts.length / N;
  const states = model2.layers.map(
    (l) => l.kind === "liquid" ? Var.constant(new Float64Array(N * l.units), [N, l.units]) : null
  );
  const outputs = [];
  const dtRow = new Float64Array(N);
  const v = (name) => vars.get(name);
  for (let t = 0; t < steps; t++) {
    const x = new Float64Array(N * model2.inputs);
    const sc = model2.scaling;
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < model2.inputs; c++) {
        const raw = inputs[(n * T + t) * model2.inputs + c];
        x[n * model2.inputs + c] = sc ? (raw - sc.inputMean[c]) / sc.inputStd[c] : raw;
      }
      dtRow[n] = dts[n * T + t];
    }
    let h = Var.constant(x, [N, model2.inputs], "input");
    model2.layers.forEach((layer, i) => {
      const p = `L${i}`;
      if (layer.kind === "dense") {
        const pre2 = addBias(tape, matmulTransposedB(tape, h, v(`${p}.W`)), v(`${p}.b`));
        h = selectorMix(tape, pre2, v(`${p}.logits`), v(`${p}.affine`), selectors[i]);
        return;
      }
      const prev = states[i];
      const rec = matmulTransposedB(tape, prev, v(`${p}.W`));
      const pre = addBias(tape, add(tape, rec, matmulTransposedB(tape, h, v(`${p}.U`))), v(`${p}.b`));
      const phi = selectorMix(tape, pre, v(`${p}.logits`), v(`${p}.affine`), selectors[i]);
      const next = liquidStep(tape, prev, phi, v(`${p}.rho`), dtRow.slice(), layer.tauMin, layer.tauMax);
      states[i] = next;
      h = next;
    });
    let y = addBias(tape, matmulTransposedB(tape, h, v("readout.W")), v("readout.b"));
    if (model2.residualInput !== void 0) {
      const skip = new Float64Array(N * model2.outputs);
      for (let n = 0; n < N; n++)
        skip.fill(x[n * model2.inputs + model2.residualInput], n * model2.outputs, (n + 1) * model2.outputs);
      y = add(tape, y, Var.constant(skip, [N, model2.outputs]));
    }
    if (sc) {
      const std = Var.constant(Float64Array.from(sc.outputStd), [model2.outputs]);
      y = addBias(
        tape,
        mulRow(tape, y, std),
        Var.constant(Float64Array.from(sc.outputMean), [model2.outputs])
      );
    }
    outputs.push(y);
  }
  return { outputs };
}

// shared/export/quant-bound.ts
function quantizationBound(model2, qw, inputs, dts) {
  const T = inputs.length / model2.inputs;
  const work = cloneModel(model2);
  const vars = paramVars(work);
  const selectors = selectorStates(work);
  const dt = dts ?? new Float64Array(T).fill(model2.dtDefault);
  const matrices = [...vars.entries()].filter(([name]) => isWeightMatrix(name));
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < model2.outputs; j++) {
      for (const v of vars.values()) v.zeroGrad();
      const tape = new Tape();
      const { outputs } = forwardOnTape(tape, work, vars, selectors, inputs, dt, 1, t + 1);
      const y = outputs[t];
      tape.seed(y, j);
      let bound = 0;
      for (const [name, v] of matrices) {
        const s = qw.stepBound.get(name);
        const g = v.grad;
        for (let i = 0; i < g.length; i++) bound += Math.abs(g[i]) * s[i];
      }
      out[t] = Math.max(out[t], bound);
    }
  }
  return out;
}

// shared/export/export.ts
var STEP_FILE = "model.onnx";
var SEQUENCE_FILE = "sequence.onnx";
var MANIFEST_FILE = "manifest.json";
function sha256(bytes) {
  return createHash4("sha256").update(bytes).digest("hex");
}
function checkBudgets(model2, opts, stepBytes) {
  const p = opts.profile;
  if (!p.quantization.allowed.includes(opts.quant)) {
    throw new ProfileError(
      `profile '${p.name}' does not allow --quant ${opts.quant} (allowed: ${p.quantization.allowed.join(", ")})`
    );
  }
  if (model2.library.entries.length > p.libraryEntryBudget) {
    throw new ProfileError(
      `the model's library has ${model2.library.entries.length} entries, over profile '${p.name}' budget of ${p.libraryEntryBudget}`
    );
  }
  if (stepBytes > p.modelSizeBudgetBytes) {
    throw new ProfileError(
      `the ${opts.quant} model is ${stepBytes} bytes, over profile '${p.name}' budget of ${p.modelSizeBudgetBytes} bytes` + (opts.quant === "int8" ? "" : " (try --quant int8)")
    );
  }
}
function probeInputs(model2, steps) {
  const rng = new Rng(24301 ^ model2.seed);
  const x = new Float64Array(steps * model2.inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}
function exportModel(model2, opts) {
  const fp16 = opts.quant === "int8" && opts.precisionBudget ? fp16Exceptions(model2, opts.precisionBudget) : /* @__PURE__ */ new Set();
  const qw = quantizeWeights(model2, opts.quant, fp16);
  const step = buildStepGraph(model2, qw);
  const sequence = buildSequenceGraph(model2, qw);
  checkBudgets(model2, opts, step.bytes.length);
  const probeSteps = opts.probeSteps ?? 64;
  const probe = probeInputs(model2, probeSteps);
  const yRef = runSequence(model2, probe);
  const yQ = runSequence(qw.model, probe);
  let maxErr = 0;
  for (let i = 0; i < yRef.length; i++) maxErr = Math.max(maxErr, Math.abs(yRef[i] - yQ[i]));
  const bound = Math.max(...quantizationBound(model2, qw, probe));
  const modelFiles = modelToFiles(model2, opts.createdBy);
  const tau = defaultTau(model2);
  const manifest = {
    format: EXPORT_FORMAT,
    formatVersion: 1,
    createdBy: opts.createdBy ?? "liquidkan",
    profile: opts.profile.name,
    quant: opts.quant,
    weightPrecision: Object.fromEntries(qw.precision),
    onnx: { irVersion: ONNX_IR_VERSION, opset: ONNX_OPSET },
    model: {
      inputs: model2.inputs,
      outputs: model2.outputs,
      stateWidth: stateWidth(model2),
      dtDefault: model2.dtDefault,
      parameters: parameterCount(model2),
      weightsSha256: sha256(modelFiles[WEIGHTS_FILE])
    },
    library: { version: model2.library.version, hash: model2.library.hash },
    selection: model2.layers.map((layer, i) => {
      const entries = layerCandidates(model2, layer);
      const w = new Float64Array(entries.length);
      const s = layer.selector;
      selectorWeightsInto(param(model2, `L${i}.logits`), s.temperature, s.mode, s.chosen, w);
      return {
        layer: i,
        kind: layer.kind,
        mode: s.mode,
        entries: entries.flatMap((e, k) => w[k] ? [{ id: e.id, name: e.name, weight: w[k] }] : [])
      };
    }),
    tau: { default: Array.from(tau.tau), min: tau.min, max: tau.max },
    step: {
      file: { file: STEP_FILE, sha256: sha256(step.bytes), bytes: step.bytes.length },
      inputs: step.inputs,
      outputs: step.outputs
    },
    sequence: {
      file: { file: SEQUENCE_FILE, sha256: sha256(sequence.bytes), bytes: sequence.bytes.length },
      inputs: sequence.inputs,
      outputs: sequence.outputs
    },
    accuracy: {
      probeSteps,
      maxAbsErrorVsFp32: maxErr,
      boundVsFp32: bound,
      ...opts.testError ? { test: testErrors(model2, qw.model, opts.testError) } : {}
    }
  };
  return {
    manifest,
    files: {
      ...modelFiles,
      [STEP_FILE]: step.bytes,
      [SEQUENCE_FILE]: sequence.bytes,
      [MANIFEST_FILE]: `${JSON.stringify(manifest, null, 2)}
`
    }
  };
}
function testErrors(model2, quantised, t) {
  const fp32 = t.evaluate(quantizeWeights(model2, "fp32").model);
  const value = t.evaluate(quantised);
  return { metric: t.metric, fp32, value, relativeIncrease: fp32 > 0 ? value / fp32 - 1 : 0 };
}

// shared/model/init.ts
init_errors();
function selectorFor(library, activation, temperature) {
  const candidates = library.entries.map((e) => e.id);
  if (activation === void 0) return { candidates, mode: "soft", temperature, chosen: 0 };
  const chosen = library.entries.findIndex((e) => e.id === activation || e.name === activation);
  if (chosen < 0) {
    throw new InputError(
      `activation '${activation}' is not in the library (entries: ${library.entries.map((e) => e.name).join(", ")})`
    );
  }
  return { candidates, mode: "hard", temperature, chosen };
}
function initModel(opts) {
  for (const [k, v] of [
    ["inputs", opts.inputs],
    ["hidden", opts.hidden],
    ["outputs", opts.outputs]
  ]) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`--${k} must be a positive integer, got ${v}`);
  }
  const temperature = opts.temperature ?? 1;
  const tauMin = opts.tauMin ?? 0.2;
  const tauMax = opts.tauMax ?? 20;
  const selector = selectorFor(opts.library, opts.activation, temperature);
  const layers = [];
  for (let i = 0; i < (opts.denseLayers ?? 1); i++)
    layers.push({ kind: "dense", units: opts.hidden, selector });
  for (let i = 0; i < (opts.liquidLayers ?? 1); i++) {
    layers.push({ kind: "liquid", units: opts.hidden, tauMin, tauMax, selector });
  }
  const arch = { inputs: opts.inputs, outputs: opts.outputs, layers };
  const rng = new Rng(opts.seed);
  const entries = new Map(opts.library.entries.map((e) => [e.id, e]));
  const params = /* @__PURE__ */ new Map();
  for (const t of parameterLayout(arch)) {
    const data = new Float64Array(t.shape.reduce((a, b) => a * b, 1));
    const field = t.name.slice(t.name.indexOf(".") + 1);
    const layerIndex = t.name.startsWith("L") ? Number(t.name.slice(1, t.name.indexOf("."))) : -1;
    if (field === "W" || field === "U") {
      const fanIn = t.shape[1];
      const recurrent = field === "W" && layers[layerIndex]?.kind === "liquid";
      const std = recurrent ? 0.5 / Math.sqrt(fanIn) : 1 / Math.sqrt(fanIn);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    } else if (field === "rho") {
      const layer = layers[layerIndex];
      if (layer.kind !== "liquid") throw new Error("rho on a dense layer");
      const lo = Math.log(tauMin * 1.5);
      const hi = Math.log(tauMax / 1.5);
      for (let i = 0; i < data.length; i++) {
        const frac = data.length === 1 ? 0.5 : i / (data.length - 1);
        data[i] = rhoFromTau(Math.exp(lo + (hi - lo) * frac), tauMin, tauMax);
      }
    } else if (field === "affine") {
      const ids = layers[layerIndex].selector.candidates;
      ids.forEach((id, k) => {
        const n = entries.get(id).natural;
        data.set([n.a, n.b, n.c, n.d], 4 * k);
      });
    }
    params.set(t.name, data);
  }
  return {
    ...arch,
    dtDefault: opts.dtDefault ?? 1,
    seed: opts.seed,
    library: opts.library,
    params
  };
}

// shared/profiles.ts
init_errors();
import { existsSync as existsSync2, readdirSync } from "node:fs";
import { join as join2 } from "node:path";

// shared/io/package-root.ts
import { existsSync, readFileSync as readFileSync2 } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
var cached = null;
function packageRoot() {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (; ; ) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync2(pkg, "utf8")).name === "liquidkan") {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error("cannot find the liquidkan package root above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

// shared/profiles.ts
function profilesDir() {
  return join2(packageRoot(), "firmware-profiles");
}
function listProfiles() {
  return readdirSync(profilesDir()).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}
function loadProfile(nameOrPath) {
  const isPath = nameOrPath.endsWith(".json") || nameOrPath.includes("/");
  const file = isPath ? nameOrPath : join2(profilesDir(), `${nameOrPath}.json`);
  if (!existsSync2(file)) {
    throw new ProfileError(
      `unknown firmware profile '${nameOrPath}' (known: ${listProfiles().join(", ")}; or give a path to a .json file)`
    );
  }
  const profile = readJsonWithSchema(FirmwareProfileSchema, file);
  if (!isPath && profile.name !== nameOrPath) {
    throw new SchemaError(file, "name", `is '${profile.name}' but the file is named '${nameOrPath}.json'`);
  }
  return profile;
}

// scripts/_tmp_b13.ts
var model = initModel({ library: classicLibrary(), inputs: 8, hidden: 32, outputs: 1, seed: 1, activation: "tanh" });
for (const quant of ["fp32"]) {
  const bytes = exportModel(model, { profile: loadProfile("pi5"), quant }).files["model.onnx"];
  const js = await (await getEngine("js")).load(bytes);
  const c = js.compiled;
  if (process.argv[2]) console.log(c.source);
  c.inputs.dt[0] = 1;
  c.inputs.input.fill(0.1);
  for (let i = 0; i < 5e4; i++) c.step();
  const t0 = performance.now();
  for (let i = 0; i < 1e5; i++) c.step();
  console.log("mean us", (performance.now() - t0) * 10);
}
