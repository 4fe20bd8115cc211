/**
 * After a selection is installed: rebuild the ONNX step graph from the new model (hard choices,
 * refitted readout) at the profile's precision and load it into an engine session.
 */

import { type EngineName, type EngineSession, getEngine } from '../../shared/engines/engine.js';
import { buildStepGraph } from '../../shared/export/graph.js';
import { quantizeWeights } from '../../shared/export/quantize-model.js';
import type { HybridModel } from '../../shared/model/model.js';
import type { Quantization } from '../../shared/types/profile.js';

export async function rebuildSession(
  model: HybridModel,
  quant: Quantization,
  engineName: EngineName,
  threads: number,
): Promise<EngineSession> {
  const graph = buildStepGraph(model, quantizeWeights(model, quant));
  const engine = await getEngine(engineName);
  return engine.load(graph.bytes, { threads });
}
