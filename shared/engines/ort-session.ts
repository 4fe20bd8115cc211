/**
 * The part both engines share: a session over an onnxruntime package (onnxruntime-node or
 * onnxruntime-web expose the same onnxruntime-common API), model preparation (default-valued
 * inputs lifted out of the initializers), load-option checks and the smoke test that proves a
 * runtime can actually run before resolveEngine() picks it.
 */

import { OnnxError } from '../errors.js';
import { OnnxModelBuilder } from '../onnx/model-builder.js';
import { DATA_TYPE, decodeFloat32Tensor, onnx } from '../onnx/tensor-proto.js';
import type { Engine, EngineLoadOptions, EngineName, EngineSession, EngineTensor } from './engine.js';
import { checkLoadOptions } from './engine.js';

/** The slice of an onnxruntime package (node or web) the engines use. */
export interface OrtModuleLike {
  InferenceSession: { create(bytes: Uint8Array, options: object): Promise<OrtSessionLike> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
}
interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}
/** What onnxruntime-common's InferenceSession delegates to (its `handler` field). */
interface OrtHandlerLike {
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches: Record<string, null>,
    options: object,
  ): Promise<Record<string, OrtTensorLike>>;
}
interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly handler?: unknown;
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The function that runs feeds through the session, fastest first.
 *
 * onnxruntime-common's InferenceSession.run re-validates feeds and fetches on every call and then
 * wraps each result in a second Tensor. For a model this small that wrapper is a visible share of
 * a run (a few µs per call on onnxruntime-node 1.30, depending on the machine), and its checks are
 * ones createOrtSession already makes (every input present, feeds are model inputs, all outputs
 * fetched). So when the session exposes its backend handler (onnxruntime-node and onnxruntime-web
 * 1.x both do) the engine calls it directly. `handler` is not part of the public typings, so it is
 * feature-detected and the public run() is the fallback.
 */
function ortRunner(
  session: OrtSessionLike,
  outputNames: readonly string[],
): (feeds: Record<string, OrtTensorLike>) => Promise<Record<string, OrtTensorLike>> {
  const handler = session.handler as Partial<OrtHandlerLike> | null | undefined;
  if (handler && typeof handler.run === 'function') {
    const h = handler as OrtHandlerLike;
    // Fresh fetches and options per call: onnxruntime-web's handler writes into its options.
    return (feeds) => {
      const fetches: Record<string, null> = {};
      for (const name of outputNames) fetches[name] = null;
      return h.run(feeds, fetches, {});
    };
  }
  return (feeds) => session.run(feeds);
}

/**
 * One reusable runtime tensor per input: the engine copies the caller's values into a buffer it
 * owns, so creating the runtime's Tensor object (the bigger part of feeding a small model) happens
 * once per input shape instead of once per run. Copying also snapshots the feed at call time: the
 * caller may reuse or overwrite its arrays as soon as run() has returned its promise.
 */
interface FeedSlot {
  dims: readonly number[];
  buffer: Float32Array;
  tensor: OrtTensorLike;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Wraps an onnxruntime session. `defaults` are inputs the caller may omit (see splitDefaults); the
 * model bytes must already have had those initializers turned into plain inputs.
 *
 * Result contract: every run returns new output arrays that no later run writes to (onnxruntime
 * allocates them per run), so callers may keep a result, e.g. feed `state_out` back as `state`.
 */
export async function createOrtSession(
  engine: EngineName,
  ort: OrtModuleLike,
  model: PreparedModel,
  sessionOptions: object,
  fastPath = true,
): Promise<EngineSession> {
  let session: OrtSessionLike;
  try {
    session = await ort.InferenceSession.create(model.bytes, sessionOptions);
  } catch (err) {
    throw new OnnxError(
      `${engine} engine: cannot load the model (${model.bytes.length} bytes): ${message(err)}`,
      {
        cause: err,
      },
    );
  }
  const inputNames = [...session.inputNames];
  const outputNames = [...session.outputNames];
  const inputSet = new Set(inputNames);
  const runOrt = fastPath
    ? ortRunner(session, outputNames)
    : (f: Record<string, OrtTensorLike>) => session.run(f);
  const slots = new Map<string, FeedSlot>();
  // Owned buffers may be overwritten only while no run that reads them is pending; a run that
  // overlaps another one (not awaited) falls back to fresh tensors.
  let pending = 0;

  function feedTensor(name: string, t: EngineTensor, canReuse: boolean): OrtTensorLike {
    if (!canReuse) return new ort.Tensor('float32', t.data, t.dims);
    let slot = slots.get(name);
    if (!slot || !sameDims(slot.dims, t.dims)) {
      const buffer = new Float32Array(t.data.length);
      const dims = [...t.dims];
      slot = { dims, buffer, tensor: new ort.Tensor('float32', buffer, dims) };
      slots.set(name, slot);
    }
    slot.buffer.set(t.data);
    return slot.tensor;
  }

  return {
    engine,
    inputNames,
    outputNames,
    defaults: model.defaults,
    async run(feeds) {
      for (const name of Object.keys(feeds)) {
        if (!inputSet.has(name)) {
          throw new OnnxError(
            `${engine} engine: feed '${name}' is not a model input (inputs: ${inputNames.join(', ')})`,
          );
        }
      }
      const canReuse = fastPath && pending === 0;
      const ortFeeds: Record<string, OrtTensorLike> = {};
      for (const name of inputNames) {
        const t = feeds[name] ?? model.defaults[name];
        if (!t) throw new OnnxError(`${engine} engine: input '${name}' is missing and has no default`);
        let n = 1;
        for (const d of t.dims) n *= d;
        if (!(t.data instanceof Float32Array) || t.data.length !== n) {
          throw new OnnxError(
            `${engine} engine: input '${name}' needs a Float32Array of ${n} values for dims [${t.dims.join(', ')}]`,
          );
        }
        ortFeeds[name] = feedTensor(name, t, canReuse);
      }
      let results: Record<string, OrtTensorLike>;
      pending++;
      try {
        results = await runOrt(ortFeeds);
      } catch (err) {
        throw new OnnxError(`${engine} engine: run failed: ${message(err)}`, { cause: err });
      } finally {
        pending--;
      }
      const out: Record<string, EngineTensor> = {};
      for (const name of outputNames) {
        const t = results[name];
        if (t?.type !== 'float32' || !(t.data instanceof Float32Array)) {
          throw new OnnxError(
            `${engine} engine: output '${name}' is ${t?.type ?? 'missing'}, only float32 outputs are supported`,
          );
        }
        out[name] = { data: t.data, dims: t.dims };
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** Model bytes ready for a runtime, plus the default values of inputs that may be omitted. */
export interface PreparedModel {
  bytes: Uint8Array;
  defaults: Record<string, EngineTensor>;
}

export { checkLoadOptions } from './engine.js';

/**
 * Turns "initializer named like a graph input" defaults (ONNX's way to give an input a default,
 * used for τ) into plain inputs plus values held on the JS side. Both onnxruntime bindings accept
 * feeds only for session.inputNames, which leaves such inputs out: onnxruntime-web rejects the
 * feed ("invalid input") and onnxruntime-node silently ignores it. After this step either engine
 * can omit or override them. Bytes that do not decode are passed through for the runtime to
 * report.
 */
export function prepareModel(bytes: Uint8Array): PreparedModel {
  let model: ReturnType<typeof onnx.ModelProto.decode>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    return { bytes, defaults: {} };
  }
  const graph = model.graph;
  if (!graph) return { bytes, defaults: {} };
  const inputs = new Set((graph.input ?? []).map((i) => i.name));
  const initializers = graph.initializer ?? [];
  const defaults: Record<string, EngineTensor> = {};
  const kept = initializers.filter((t) => {
    if (!t.name || !inputs.has(t.name) || t.dataType !== DATA_TYPE.float32) return true;
    defaults[t.name] = decodeFloat32Tensor(t);
    return false;
  });
  if (kept.length === initializers.length) return { bytes, defaults };
  graph.initializer = kept;
  return { bytes: onnx.ModelProto.encode(model).finish(), defaults };
}

/** A one-node model (y = x + 1) that init() runs to prove the runtime works on this machine. */
export function smokeModel(): Uint8Array {
  const m = new OnnxModelBuilder({ graphName: 'smoke' });
  const y = m.node('Add', [m.input('x', 'float32', [1]), m.scalar(1)]);
  m.output('y', 'float32', [1], y);
  return m.toBytes();
}

/** Loads and runs smokeModel(); rejects with the runtime's message when it cannot. */
export async function smokeTest(
  engine: EngineName,
  ort: OrtModuleLike,
  sessionOptions: object,
): Promise<void> {
  const session = await createOrtSession(engine, ort, prepareModel(smokeModel()), sessionOptions);
  try {
    const { y } = await session.run({ x: { data: new Float32Array([1]), dims: [1] } });
    if (y.data[0] !== 2) throw new OnnxError(`${engine} engine: smoke test computed 1 + 1 = ${y.data[0]}`);
  } finally {
    await session.release();
  }
}

/**
 * An Engine over an onnxruntime package: the package is loaded (and smoke-tested) once on first
 * use, a failure is remembered rather than retried, and sessions share createOrtSession.
 */
export function ortEngine(
  name: EngineName,
  loadRuntime: () => Promise<OrtModuleLike>,
  sessionOptions: (options: EngineLoadOptions) => object,
  unavailable: string,
): Engine {
  let runtime: Promise<OrtModuleLike> | undefined;
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
      const opts = sessionOptions(options);
      const { fastPath } = checkLoadOptions(options);
      let ort: OrtModuleLike;
      try {
        ort = await start();
      } catch (err) {
        throw new OnnxError(`${name} engine: ${unavailable}: ${(err as Error).message}`, { cause: err });
      }
      return createOrtSession(name, ort, prepareModel(bytes), opts, fastPath);
    },
  };
}
