/**
 * A layer's trained mixture as cloud and device both read it: its soft weights (from the
 * logits, whatever mode the layer is in now: a hardened layer keeps the logits it was trained
 * with), their normalised entropy, the heaviest entry, and the mixture's curve φ(u). Hunger
 * jobs, hunger telemetry and the trainer's proposals all mean the same mixture by these.
 */
import { compileActivation } from '../activations/index.js';
import { type HybridModel, layerCandidates, param } from './model.js';
import { SelectorKernel, selectorWeightsInto } from './selector.js';

/** softmax(logits / T) of layer i, [K]. */
export function mixtureWeights(model: HybridModel, i: number): Float64Array {
  const s = model.layers[i]!.selector;
  const w = new Float64Array(s.candidates.length);
  selectorWeightsInto(param(model, `L${i}.logits`), s.temperature, 'soft', s.chosen, w);
  return w;
}

/**
 * Entropy of mixture weights normalised to [0, 1] (1 = undecided), over the candidates with
 * any weight: entries a profile left out (weight 0) do not count as undecided.
 */
export function normalisedEntropy(w: Float64Array): number {
  let h = 0;
  let k = 0;
  for (const p of w) {
    if (p <= 1e-12) continue;
    h -= p * Math.log(p);
    k++;
  }
  return k < 2 ? 0 : h / Math.log(k);
}

/** Candidate index with the largest mixture weight (the first on ties). */
export function heaviestEntry(model: HybridModel, i: number): number {
  const w = mixtureWeights(model, i);
  let k = 0;
  for (let j = 1; j < w.length; j++) if (w[j]! > w[k]!) k = j;
  return k;
}

/** Layer i's mixture φ at the given pre-activations. */
export function mixtureCurve(model: HybridModel, i: number, u: Float64Array): Float64Array {
  const entries = layerCandidates(model, model.layers[i]!);
  const kernel = new SelectorKernel(entries.map((e) => compileActivation(e)));
  const y = new Float64Array(u.length);
  kernel.forwardInto(u, param(model, `L${i}.affine`), mixtureWeights(model, i), y);
  return y;
}
