/**
 * Predictions for one input sequence by either engine: the TypeScript reference (float64) or
 * the exported sequence graph in onnxruntime (float32, optionally quantised weights).
 * Both read the rows as one sequence from a zero state with the model's default Δt.
 */

import { resolveEngine } from '../shared/engines/index.js';
import { buildSequenceGraph } from '../shared/export/graph.js';
import { quantizeWeights } from '../shared/export/quantize-model.js';
import { stateWidth } from '../shared/model/layout.js';
import type { HybridModel } from '../shared/model/model.js';
import { runSequence } from '../shared/model/reference.js';
import type { Quantization } from '../shared/types/profile.js';

export type PredictEngine = 'ts' | 'onnx';

export interface PredictOptions {
  /** @defaultValue 'ts' */
  readonly engine?: PredictEngine;
  /** Weight precision the model is run at (both engines honour it). @defaultValue 'fp32' */
  readonly quant?: Quantization;
}

export interface PredictResult {
  /** [T, outputs] row-major. */
  readonly values: Float64Array;
  /** What ran: 'ts', or the onnxruntime engine that was picked. */
  readonly ranOn: string;
}

/** inputs [T, model.inputs] row-major. */
export async function predictSequence(
  model: HybridModel,
  inputs: Float64Array,
  opts: PredictOptions = {},
): Promise<PredictResult> {
  const quant = opts.quant ?? 'fp32';
  const qw = quantizeWeights(model, quant);
  if ((opts.engine ?? 'ts') === 'ts') {
    return { values: runSequence(quant === 'fp32' ? model : qw.model, inputs), ranOn: 'ts' };
  }
  const T = inputs.length / model.inputs;
  const resolved = await resolveEngine(['native', 'wasm']);
  const session = await resolved.engine.load(buildSequenceGraph(model, qw).bytes, { threads: 1 });
  try {
    const H = stateWidth(model);
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
      input: { data: Float32Array.from(inputs), dims: [1, T, model.inputs] },
      dt: { data: new Float32Array(T).fill(model.dtDefault), dims: [1, T, 1] },
    };
    if (H > 0) feeds['state'] = { data: new Float32Array(H), dims: [1, H] };
    const out = await session.run(feeds);
    return { values: Float64Array.from(out['output']!.data), ranOn: resolved.name };
  } finally {
    await session.release();
  }
}
