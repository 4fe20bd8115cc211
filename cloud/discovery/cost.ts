/**
 * Measured cost of an activation in onnxruntime-node (DESIGN "Portable activation": cost metadata
 * holds ops per element and measured ns per element). A tiny model applies emitActivation (identity
 * layer affine, tail included) to a [1, 4096] float input; the time of an Identity model of the same
 * shape is subtracted, so session and copy overheads cancel and what remains is the activation's own
 * work. Min over repetitions (robust on a busy machine), single intra-op thread (what a board runs),
 * cached per entry id because the id is the content hash of the shape.
 */

import { emitActivation } from '../../shared/activations/emit.js';
import type { ActivationEntry } from '../../shared/activations/entry.js';
import { type Engine, type EngineSession, getEngine } from '../../shared/engines/engine.js';
import { OnnxModelBuilder } from '../../shared/onnx/model-builder.js';

export interface CostOptions {
  /** @defaultValue the native engine (onnxruntime-node) */
  readonly engine?: Engine;
  /** Timed runs per model (after 3 warm-up runs). @defaultValue 15 */
  readonly reps?: number;
  /** Elements of the [1, n] input. @defaultValue 4096 */
  readonly elements?: number;
}

export const COST_DEFAULTS = Object.freeze({ reps: 15, elements: 4096 });
/** Floor of a measurement: an activation is never free, and noise may make the difference ≤ 0. */
export const MIN_NS_PER_ELEMENT = 0.01;

const IDENTITY_AFFINE = Object.freeze({ a: 1, b: 0, c: 1, d: 0 });
const cache = new Map<string, number>();
const baseline = new Map<string, Promise<number>>();

function modelBytes(n: number, entry: ActivationEntry | null): Uint8Array {
  const m = new OnnxModelBuilder({ graphName: 'lkan_cost' });
  const x = m.input('x', 'float32', [1, n]);
  const y = entry === null ? m.node('Identity', [x]) : emitActivation(m, x, entry, IDENTITY_AFFINE);
  m.output('y', 'float32', [1, n], y);
  return m.toBytes();
}

/** Min wall time of one run, in ns. */
async function timeModel(engine: Engine, bytes: Uint8Array, n: number, reps: number): Promise<number> {
  const session: EngineSession = await engine.load(bytes, { threads: 1 });
  try {
    const data = Float32Array.from({ length: n }, (_, i) => -1.5 + (3 * i) / (n - 1));
    const feed = { x: { data, dims: [1, n] } };
    for (let i = 0; i < 3; i++) await session.run(feed);
    let best = Infinity;
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feed);
      best = Math.min(best, Number(process.hrtime.bigint() - t0));
    }
    return best;
  } finally {
    await session.release();
  }
}

/** Measured ns per element of the entry's ψ (tail included) in the engine; positive and finite. */
export async function measureNsPerElement(
  entry: ActivationEntry,
  options: CostOptions = {},
): Promise<number> {
  const hit = cache.get(entry.id);
  if (hit !== undefined) return hit;
  const o = { ...COST_DEFAULTS, ...options };
  const engine = o.engine ?? (await getEngine('native'));
  const key = `${engine.name}:${o.elements}:${o.reps}`;
  let base = baseline.get(key);
  if (base === undefined) {
    base = timeModel(engine, modelBytes(o.elements, null), o.elements, o.reps);
    baseline.set(key, base);
  }
  const t = await timeModel(engine, modelBytes(o.elements, entry), o.elements, o.reps);
  const ns = Math.max((t - (await base)) / o.elements, MIN_NS_PER_ELEMENT);
  cache.set(entry.id, ns);
  return ns;
}

/** The entry with meta.cost.nsPerElement filled in (the id does not change: it hashes the shape). */
export async function withMeasuredCost(
  entry: ActivationEntry,
  options: CostOptions = {},
): Promise<ActivationEntry> {
  const nsPerElement = await measureNsPerElement(entry, options);
  return { ...entry, meta: { ...entry.meta, cost: { ...entry.meta.cost, nsPerElement } } };
}
