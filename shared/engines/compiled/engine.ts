/**
 * The 'js' engine: the step graph compiled at load into one specialised, allocation-free
 * float32 step function (graph.ts decodes it, codegen.ts writes the function). It needs no
 * runtime package, so it is the engine of a --lite bundle, and for models this small it is
 * several times faster than a call into onnxruntime. It takes any precision the exporter writes
 * (int8 QDQ and float16 weights are expanded exactly as DequantizeLinear and Cast do) and
 * declines, with an OnnxError naming the node, any op outside that set: onnxruntime stays the
 * reference and the engine for everything else. The device checks it against onnxruntime-web (or
 * the TypeScript reference) on the bundle's probe before it serves (device/runtime/engine-start.ts).
 *
 * Batched feeds (first dimension N > 1) run row by row: the graphs liquidkan writes treat rows
 * independently.
 */

import { OnnxError } from '../../errors.js';
import { checkLoadOptions, type Engine, type EngineSession, type EngineTensor } from '../engine.js';
import { type CompiledStep, compileStepGraph } from './codegen.js';
import { decodeStepGraph, type StepGraph } from './graph.js';

function session(graph: StepGraph, compiled: CompiledStep): EngineSession {
  const inputNames = graph.inputs.map((i) => i.tensor.name);
  const outputNames = graph.outputs.map((o) => o.tensor.name);
  const defaults: Record<string, EngineTensor> = {};
  for (const i of graph.inputs) {
    if (i.default) defaults[i.tensor.name] = { data: i.default, dims: [...i.tensor.dims] };
    // an input with a default starts out holding it, for callers of the compiled step
    if (i.default) compiled.inputs[i.tensor.name]!.set(i.default);
  }
  const inputSet = new Set(inputNames);
  return {
    engine: 'js',
    inputNames,
    outputNames,
    defaults,
    compiled,
    async run(feeds) {
      for (const name of Object.keys(feeds)) {
        if (!inputSet.has(name)) {
          throw new OnnxError(
            `js engine: feed '${name}' is not a model input (inputs: ${inputNames.join(', ')})`,
          );
        }
      }
      let rows = 1;
      for (const i of graph.inputs) {
        const t = feeds[i.tensor.name];
        if (t && i.batched) rows = Math.max(rows, t.dims[0] ?? 1);
      }
      const out: Record<string, EngineTensor> = {};
      for (const o of graph.outputs) {
        const dims = o.batched ? [rows, ...o.tensor.dims.slice(1)] : [...o.tensor.dims];
        out[o.tensor.name] = {
          data: new Float32Array(o.batched ? rows * o.tensor.size : o.tensor.size),
          dims,
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
              `js engine: input '${name}' needs a Float32Array of ${n} values for dims [${dims.join(', ')}]`,
            );
          }
          const size = i.tensor.size;
          compiled.inputs[name]!.set(i.batched ? t.data.subarray(r * size, (r + 1) * size) : t.data);
        }
        compiled.step();
        for (const o of graph.outputs) {
          const src = compiled.outputs[o.tensor.name]!;
          out[o.tensor.name]!.data.set(src, o.batched ? r * src.length : 0);
        }
      }
      return out;
    },
    async release() {},
  };
}

/** Compiles ONNX bytes; throws OnnxError naming what the compiler does not take. */
export function compileModel(bytes: Uint8Array): EngineSession {
  const graph = decodeStepGraph(bytes);
  return session(graph, compileStepGraph(graph));
}

export const compiledEngine: Engine = {
  name: 'js',
  async init() {},
  async load(bytes, options = {}) {
    checkLoadOptions(options);
    return compileModel(bytes);
  },
};
