/**
 * Flavours side by side on the same series, seed and parameter budget: test error in the
 * target's units on the same held-out label rows, parameter count, and the exported step
 * graph's latency in onnxruntime-node. The liquid flavours are trained statefully and scored by
 * the streaming evaluator (state carried from the first row); the MLPs keep their window as
 * input, so their window over the same label rows is exactly what they see on a device.
 */

import { performance } from 'node:perf_hooks';
import { getEngine } from '../../shared/engines/index.js';
import { meanOf, persistenceMse } from '../../shared/eval/streaming.js';
import { buildStepGraph } from '../../shared/export/graph.js';
import { quantizeWeights } from '../../shared/export/quantize-model.js';
import type { ActivationLibrary } from '../../shared/library/library.js';
import { parameterCount, stateWidth } from '../../shared/model/layout.js';
import type { HybridModel } from '../../shared/model/model.js';
import { Kan } from '../kan/kan.js';
import { trainKan } from '../kan/train.js';
import { evaluateMse, streamTestErrors } from './evaluate.js';
import { FLAVOURS, type Flavour, flattenWindows, flavourModel, isFlat } from './flavours.js';
import { type TrainOptions, trainHybrid } from './trainer.js';
import type { ForecastStreamData, WindowSet } from './windows.js';

export interface CompareRow {
  readonly model: Flavour | 'kan' | 'persistence';
  readonly test_mse: number;
  readonly params: number;
  /** p50 of one step-graph call (for MLPs: one window) with one thread; null where not exported. */
  readonly step_us: number | null;
}

/** p50 latency of the exported fp32 step graph, one thread. */
export async function stepLatencyUs(model: HybridModel, calls = 400): Promise<number> {
  const engine = await getEngine('native');
  const session = await engine.load(buildStepGraph(model, quantizeWeights(model, 'fp32')).bytes, {
    threads: 1,
  });
  const H = stateWidth(model);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
    input: { data: new Float32Array(model.inputs), dims: [1, model.inputs] },
    dt: { data: Float32Array.of(model.dtDefault), dims: [1, 1] },
  };
  if (H > 0) feeds['state'] = { data: new Float32Array(H), dims: [1, H] };
  const times: number[] = [];
  try {
    for (let i = 0; i < calls + 50; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      if (i >= 50) times.push((performance.now() - t0) * 1000);
    }
  } finally {
    await session.release();
  }
  times.sort((a, b) => a - b);
  return Math.round(times[times.length >> 1]! * 10) / 10;
}

export interface CompareOptions {
  readonly library: ActivationLibrary;
  readonly seed: number;
  /** Parameter budget every flavour is sized to. @defaultValue the hybrid with 16 units */
  readonly budget?: number;
  readonly train?: Partial<TrainOptions>;
  readonly onFlavour?: (f: Flavour, index: number) => void;
}

export async function compareFlavours(data: ForecastStreamData, o: CompareOptions): Promise<CompareRow[]> {
  const W = data.train.window;
  const d = data.train.inputs;
  const budget = o.budget ?? 1000;
  const s2 = data.targetScaling.std ** 2;
  const rows: CompareRow[] = [
    {
      model: 'persistence',
      test_mse: persistenceMse(data.stream.series, data.horizon, data.split.testStart, data.split.rows) * s2,
      params: 0,
      step_us: null,
    },
  ];
  for (const [index, f] of FLAVOURS.entries()) {
    o.onFlavour?.(f, index);
    const flat = isFlat(f);
    const sets = flat
      ? { train: flattenWindows(data.train), val: flattenWindows(data.val), test: flattenWindows(data.test) }
      : null;
    // every flavour gets the same persistence skip on the target's last value (column 0)
    const initial = {
      ...flavourModel(f, o.library, d, W, budget, o.seed),
      residualInput: flat ? (W - 1) * d : 0,
    };
    const r = trainHybrid(initial, sets ?? data, { seed: o.seed, ...o.train });
    rows.push({
      model: f,
      test_mse:
        (sets ? evaluateMse(r.model, sets.test) : meanOf(streamTestErrors(r.model, data.stream))) * s2,
      params: parameterCount(r.model),
      step_us: await stepLatencyUs(r.model),
    });
  }
  rows.splice(3, 0, kanRow(data, budget, o.seed));
  return rows;
}

/**
 * The KAN flavour: a [W·d, h, 1] KAN over the flattened window with the same persistence skip
 * (it learns the change from the last value), h sized to the budget. It has no ONNX export (its
 * edges become library entries instead), so its step latency is not measured.
 */
function kanRow(data: ForecastStreamData, budget: number, seed: number): CompareRow {
  const n0 = data.train.window * data.train.inputs;
  const G = 5;
  const perEdge = G + 3 + 2; // coef (G + k), w_b, w_s
  const hidden = Math.max(1, Math.round(budget / (perEdge * (n0 + 1))));
  const kan = Kan.create([n0, hidden, 1], { G, seed });
  const change = (set: WindowSet) => Float64Array.from(set.y, (y, i) => y - set.last[i]!);
  trainKan(
    kan,
    { x: data.train.x, y: change(data.train), batch: data.train.n },
    { schedule: { steps: 30 }, seed },
  );
  const pred = kan.predict(data.test.x, data.test.n);
  let sse = 0;
  for (let i = 0; i < data.test.n; i++) sse += (pred[i]! + data.test.last[i]! - data.test.y[i]!) ** 2;
  return {
    model: 'kan',
    test_mse: (sse / data.test.n) * data.targetScaling.std ** 2,
    params: kan.parameterCount(),
    step_us: null,
  };
}
