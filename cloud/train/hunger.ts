/**
 * Hunger: evidence that a layer wants a shape its library lacks. Two signals per layer:
 *   entropy — of the selector's mixture weights, normalised by log K (1 = undecided);
 *   gap     — how much worse the best single entry is than the soft mixture on validation data,
 *             relative to the mixture's loss (the mixture can blend shapes no entry has).
 * A hungry layer becomes a discovery job: its pre-activation samples and the mixture's curve at
 * them, i.e. the shape the layer is missing.
 */

import { writeFileAtomic } from '../../shared/io/atomic.js';
import { mixtureWeights, normalisedEntropy } from '../../shared/model/mixture.js';
import { type HybridModel, layerCandidates } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import { evaluateLoss, type LossKind } from './evaluate.js';
import type { WindowSet } from './windows.js';

export interface LayerHunger {
  readonly layer: number;
  readonly entropy: number;
  /** Validation MSE of the soft mixture (other layers as they are). */
  readonly mixtureLoss: number;
  /** Best validation MSE over single entries in this layer, and which entry. */
  readonly bestSingleLoss: number;
  readonly bestSingle: { readonly id: string; readonly name: string };
  /** (bestSingleLoss − mixtureLoss) / mixtureLoss */
  readonly gap: number;
  readonly hungry: boolean;
}

export const HUNGER_DEFAULTS: Readonly<{ gap: number; samples: number }> = Object.freeze({
  /** Relative loss gap above which a layer is hungry. */
  gap: 0.05,
  /** Pre-activation samples shipped in a discovery job. */
  samples: 512,
});

/** Normalised entropy of a soft layer's mixture; 0 for a hard layer. */
export function mixtureEntropy(model: HybridModel, i: number): number {
  return model.layers[i]!.selector.mode === 'soft' ? normalisedEntropy(mixtureWeights(model, i)) : 0;
}

/** The model with layer i hard on candidate k (every other layer unchanged). */
export function withHardChoice(model: HybridModel, i: number, k: number): HybridModel {
  const layers = model.layers.map((l, j) =>
    j === i ? { ...l, selector: { ...l.selector, mode: 'hard' as const, chosen: k } } : l,
  );
  return { ...model, layers };
}

/**
 * `val`: validation windows, or the validation loss of any model (a forecaster's streaming
 * validation error, so hunger is measured the way the race judges).
 */
export function layerHunger(
  model: HybridModel,
  i: number,
  val: WindowSet | ((m: HybridModel) => number),
  gapThreshold = HUNGER_DEFAULTS.gap,
  loss: LossKind = 'mse',
): LayerHunger {
  const entries = layerCandidates(model, model.layers[i]!);
  const score = typeof val === 'function' ? val : (m: HybridModel) => evaluateLoss(m, val, loss);
  const mixtureLoss = score(model);
  let best = Infinity;
  let bestK = 0;
  entries.forEach((_, k) => {
    const l = score(withHardChoice(model, i, k));
    if (l < best) {
      best = l;
      bestK = k;
    }
  });
  const gap = (best - mixtureLoss) / Math.max(mixtureLoss, 1e-12);
  return {
    layer: i,
    entropy: mixtureEntropy(model, i),
    mixtureLoss,
    bestSingleLoss: best,
    bestSingle: { id: entries[bestK]!.id, name: entries[bestK]!.name },
    gap,
    hungry: model.layers[i]!.selector.mode === 'soft' && gap > gapThreshold,
  };
}

export const JOB_FORMAT = 'liquidkan-discovery-job';

export interface DiscoveryJob {
  readonly format: typeof JOB_FORMAT;
  readonly formatVersion: 1;
  readonly task: string;
  readonly layer: number;
  readonly seed: number;
  readonly library: { readonly version: number; readonly hash: string };
  readonly reason: { readonly entropy: number; readonly gap: number; readonly bestSingle: string };
  /** Pre-activation values u seen by the layer, and the mixture's φ(u): the wanted shape. */
  readonly samples: { readonly u: number[]; readonly phi: number[] };
}

/** Layer i's pre-activations over a window set (every step, every unit), subsampled evenly. */
export function preActivationSamples(
  model: HybridModel,
  i: number,
  set: WindowSet,
  count: number,
): Float64Array {
  const runner = new ReferenceRunner(model, set.n);
  const step = new Float64Array(set.n * set.inputs);
  const out = new Float64Array(set.n * model.outputs);
  const total = set.window * set.n * model.layers[i]!.units;
  const stride = Math.max(1, Math.floor(total / count));
  const picked: number[] = [];
  let seen = 0;
  for (let t = 0; t < set.window; t++) {
    for (let k = 0; k < set.n; k++) {
      for (let c = 0; c < set.inputs; c++)
        step[k * set.inputs + c] = set.x[(k * set.window + t) * set.inputs + c]!;
    }
    runner.step(step, model.dtDefault, out);
    for (const v of runner.layerPreActivation(i)) {
      if (seen++ % stride === 0 && picked.length < count) picked.push(v);
    }
  }
  return Float64Array.from(picked);
}

export function writeDiscoveryJob(file: string, job: DiscoveryJob): void {
  writeFileAtomic(file, `${JSON.stringify(job)}\n`);
}
