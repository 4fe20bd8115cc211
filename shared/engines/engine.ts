/**
 * The inference engine contract and its register/resolve pair (the shape of onnxruntime's
 * js/common backend.ts). Three implementations run the same ONNX bytes: 'native'
 * (onnxruntime-node), 'wasm' (onnxruntime-web's WebAssembly build in Node), the fallback where the
 * native addon is missing, e.g. 32-bit ARM, and 'js' (compiled/: the step graph compiled into one
 * JavaScript function, for small models and --lite bundles). A firmware profile names the order;
 * resolveEngine() reports which engine it picked and why the ones before it failed.
 */

import { OnnxError } from '../errors.js';

import type { CompiledStep } from './compiled/codegen.js';

export type EngineName = 'native' | 'wasm' | 'js';

/** onnxruntime's graph optimisation levels. */
export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface EngineLoadOptions {
  /**
   * Intra-op threads (native only; the wasm build always runs single-threaded in Node).
   * @defaultValue onnxruntime's choice (one per physical core)
   */
  threads?: number;
  /**
   * Graph optimisation level. 'basic' keeps QDQ nodes as written, so quantised outputs match the
   * cloud's bit for bit (DESIGN "ONNX artifacts").
   * @defaultValue 'basic'
   */
  optimization?: OptimizationLevel;
  /**
   * Run through the runtime's backend handler and reuse input tensors between runs (see
   * createOrtSession). false takes onnxruntime's public run() with new tensors each call; results
   * are the same, it exists to compare and to rule the fast path out when debugging.
   * @defaultValue true
   */
  fastPath?: boolean;
}

/** A float32 tensor crossing the engine boundary. */
export interface EngineTensor {
  data: Float32Array;
  dims: readonly number[];
}

export interface EngineSession {
  /** The engine that runs this session. */
  readonly engine: EngineName;
  /** Inputs in model order, including those that have a default value. */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Default values of inputs that the model gives one (ONNX initializers named like a graph input,
   * e.g. τ). A feed may omit such an input or override it.
   */
  readonly defaults: Readonly<Record<string, EngineTensor>>;
  /** Runs the model; every output is returned. Throws OnnxError naming the input at fault. */
  run(feeds: Readonly<Record<string, EngineTensor>>): Promise<Record<string, EngineTensor>>;
  /**
   * The 'js' engine's step function with its own input and output buffers: a synchronous,
   * allocation-free path for callers that step one sample at a time (absent on onnxruntime).
   */
  readonly compiled?: CompiledStep;
  /** Frees the runtime's session; the object is unusable afterwards. */
  release(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** Loads the runtime module (lazily); rejects when it cannot run on this machine. */
  init(): Promise<void>;
  /** Creates a session from model bytes; rejects with OnnxError naming the engine and the cause. */
  load(bytes: Uint8Array, options?: EngineLoadOptions): Promise<EngineSession>;
}

export const DEFAULT_LOAD_OPTIONS: Readonly<Required<Pick<EngineLoadOptions, 'optimization'>>> =
  Object.freeze({
    optimization: 'basic',
  });

/**
 * Rejects when `name` cannot be resolved from here (a --lite bundle ships no onnxruntime), before
 * anything of the engine that needs it is loaded.
 */
function requirePackage(name: string): void {
  try {
    import.meta.resolve(name);
  } catch (err) {
    throw new OnnxError(`${name} is not installed beside this program`, { cause: err });
  }
}

/** Built-in engines, imported on first use so that a machine only loads the one it runs. */
const builtins: Readonly<Record<EngineName, () => Promise<Engine>>> = {
  native: async () => {
    requirePackage('onnxruntime-node');
    return (await import('./native.js')).nativeEngine;
  },
  wasm: async () => {
    requirePackage('onnxruntime-web');
    return (await import('./wasm.js')).wasmEngine;
  },
  js: async () => (await import('./compiled/engine.js')).compiledEngine,
};

/** Validates load options; RangeError names the option and the allowed values. */
export function checkLoadOptions(options: EngineLoadOptions): Required<
  Pick<EngineLoadOptions, 'optimization' | 'fastPath'>
> & {
  threads?: number;
} {
  const { threads, optimization = DEFAULT_LOAD_OPTIONS.optimization, fastPath = true } = options;
  if (typeof fastPath !== 'boolean') throw new RangeError(`fastPath must be a boolean, got ${fastPath}`);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  if (!['disabled', 'basic', 'extended', 'all'].includes(optimization)) {
    throw new RangeError(`optimization must be one of disabled, basic, extended, all; got '${optimization}'`);
  }
  return threads === undefined ? { optimization, fastPath } : { optimization, fastPath, threads };
}

const registry = new Map<EngineName, Engine>();

/**
 * Registers (or replaces) the engine for its name. Returns a function that restores the previous
 * one, so tests can substitute an engine that fails to load.
 */
export function registerEngine(engine: Engine): () => void {
  const previous = registry.get(engine.name);
  registry.set(engine.name, engine);
  return () => {
    if (previous) registry.set(engine.name, previous);
    else registry.delete(engine.name);
  };
}

/** The registered engine for `name`, else the built-in one. */
export async function getEngine(name: EngineName): Promise<Engine> {
  const engine = registry.get(name);
  if (engine) return engine;
  const load = Object.hasOwn(builtins, name) ? builtins[name] : undefined;
  if (!load)
    throw new OnnxError(`engine '${name}' is unknown (allowed: ${Object.keys(builtins).join(', ')})`);
  return load();
}

export interface EngineFailure {
  name: EngineName;
  reason: string;
}

export interface ResolvedEngine {
  engine: Engine;
  name: EngineName;
  /** Engines tried before the chosen one, with why each failed to initialise. */
  failures: EngineFailure[];
  /** One line for logs, e.g. "engine wasm (native failed: Cannot find module ...)". */
  summary: string;
}

/**
 * Initialises the engines in `order` until one succeeds. Rejects with OnnxError listing every
 * engine's failure when none can run.
 */
export async function resolveEngine(order: readonly EngineName[]): Promise<ResolvedEngine> {
  if (order.length === 0)
    throw new OnnxError('resolveEngine: the engine order is empty (allowed: native, wasm, js)');
  const failures: EngineFailure[] = [];
  for (const name of order) {
    try {
      const engine = await getEngine(name);
      await engine.init();
      const why = failures.map((f) => `${f.name} failed: ${f.reason}`).join('; ');
      return { engine, name, failures, summary: `engine ${name}${why ? ` (${why})` : ''}` };
    } catch (err) {
      failures.push({ name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const detail = failures.map((f) => `${f.name}: ${f.reason}`).join('; ');
  throw new OnnxError(`no inference engine could start (tried ${order.join(', ')}): ${detail}`);
}
