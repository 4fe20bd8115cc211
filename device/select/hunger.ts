/**
 * Hunger from on-device selection: evidence, per layer, that the device's data wants a shape the
 * library lacks. Two signals, read off the selection search's last visit of each layer:
 *   mixture — the best single entry is far worse than the soft mixture the cloud trained (only
 *             when the model carries soft logits: a soft selector, or logits that are not all equal);
 *   poor    — every entry is poor: the best leaves a large share of the held-out target variance
 *             unexplained, while the choice of entry does matter for this layer.
 * The mixture is scored exactly like a candidate (other layers at the selected choices, readout
 * refitted), and only while the time budget lasts.
 */
import { type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import type { SelectionSearch } from './search.js';

export interface LayerHungerSignal {
  readonly layer: number;
  /** Held-out MSE of the best single entry (readout units). */
  readonly bestLoss: number;
  readonly reason: string;
  /** bestLoss / held-out target variance. */
  readonly relativeLoss: number;
  /** Held-out MSE of the cloud's soft mixture in this layer, when the model carries one. */
  readonly mixtureLoss?: number;
}

export interface HungerOptions {
  /** Relative gap (best − mixture)/mixture above which a layer is hungry. @defaultValue 0.05 */
  readonly hungerGap: number;
  /** Share of the target variance the best entry may leave unexplained. @defaultValue 0.25 */
  readonly hungerPoorFraction: number;
}

export const HUNGER_SELECT_DEFAULTS: Readonly<HungerOptions> = Object.freeze({
  hungerGap: 0.05,
  hungerPoorFraction: 0.25,
});

/** Whether layer i holds a trained mixture worth comparing with. */
export function carriesMixture(model: HybridModel, i: number): boolean {
  const s = model.layers[i]!.selector;
  if (s.candidates.length < 2) return false;
  if (s.mode === 'soft') return true;
  const l = param(model, `L${i}.logits`);
  for (let k = 1; k < l.length; k++) if (l[k] !== l[0]) return true;
  return false;
}

export function hungerFromSearch(
  search: SelectionSearch,
  o: HungerOptions,
  outOfTime: () => boolean,
): LayerHungerSignal[] {
  const model = search.model;
  const variance = Math.max(search.scorer.targetVariance, 1e-300);
  const out: LayerHungerSignal[] = [];
  search.records.forEach((rec, i) => {
    if (!rec.visited || !Number.isFinite(rec.bestLoss)) return;
    const name = layerCandidates(model, model.layers[i]!)[search.choices[i]!.k]!.name;
    const bestLoss = Math.min(rec.bestLoss, rec.lossAfter);
    const relativeLoss = bestLoss / variance;
    let mixtureLoss: number | undefined;
    if (carriesMixture(model, i) && !outOfTime()) mixtureLoss = search.scoreLayer(i, 'soft').loss;
    const reasons: string[] = [];
    if (mixtureLoss !== undefined && bestLoss > mixtureLoss * (1 + o.hungerGap)) {
      const pct = ((bestLoss / Math.max(mixtureLoss, 1e-300) - 1) * 100).toFixed(0);
      reasons.push(`best entry ${name} is ${pct}% worse than the cloud's mixture`);
    }
    const matters = rec.worstLoss > rec.bestLoss * 1.1;
    if (relativeLoss > o.hungerPoorFraction && matters) {
      const pct = (relativeLoss * 100).toFixed(0);
      reasons.push(
        `every entry is poor: the best (${name}) leaves ${pct}% of the target variance unexplained`,
      );
    }
    if (reasons.length === 0) return;
    out.push({
      layer: i,
      bestLoss,
      reason: reasons.join('; '),
      relativeLoss,
      ...(mixtureLoss === undefined ? {} : { mixtureLoss }),
    });
  });
  return out;
}
