/**
 * Hunger from on-device selection: evidence, per layer, that the device's data wants a shape the
 * library lacks. Two signals, read off the selection search's last visit of each layer:
 *   mixture — the best single entry is far worse than the soft mixture the cloud trained (only
 *             when the model carries soft logits: a soft selector, or logits that are not all equal);
 *   poor    — every entry is poor: the best leaves a large share of the held-out target variance
 *             unexplained, while the choice of entry does matter for this layer.
 * The mixture is scored exactly like a candidate (other layers at the selected choices, readout
 * refitted), and only while the time budget lasts.
 *
 * A hungry layer that carries a mixture also ships samples of the shape it wants: u, the layer's
 * raw pre-activations (W·x + U·h + b, the units of cloud/train/hunger.ts preActivationSamples)
 * at held-out rows, with the layers before it as selected and the layer itself on its mixture,
 * and φ, the trained mixture at those u (its mixtureCurve in soft mode). That is a discovery job's input (cloud/discovery/job-task.ts) as it is.
 */
import { mixtureCurve } from '../../shared/model/mixture.js';
import { type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import { ROLE_HELD_OUT } from './buffer.js';
import type { SelectionSearch } from './search.js';
import { type LayerChoice, sliceModel } from './submodel.js';

/** Pre-activations u of a layer and the trained mixture's φ(u), paired by index. */
export interface HungerSamples {
  readonly u: Float64Array;
  readonly phi: Float64Array;
}

export interface LayerHungerSignal {
  readonly layer: number;
  /** Held-out MSE of the best single entry (readout units). */
  readonly bestLoss: number;
  readonly reason: string;
  /** bestLoss / held-out target variance. */
  readonly relativeLoss: number;
  /** Held-out MSE of the cloud's soft mixture in this layer, when the model carries one. */
  readonly mixtureLoss?: number;
  /** The shape this layer wants, when it carries a mixture (at most `hungerSamples` pairs). */
  readonly samples?: HungerSamples;
}

export interface HungerOptions {
  /** Relative gap (best − mixture)/mixture above which a layer is hungry. @defaultValue 0.05 */
  readonly hungerGap: number;
  /** Share of the target variance the best entry may leave unexplained. @defaultValue 0.25 */
  readonly hungerPoorFraction: number;
  /** Most (u, φ) pairs a hungry layer reports. @defaultValue 512 */
  readonly hungerSamples: number;
}

export const HUNGER_SELECT_DEFAULTS: Readonly<HungerOptions> = Object.freeze({
  hungerGap: 0.05,
  hungerPoorFraction: 0.25,
  hungerSamples: 512,
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
    const samples =
      carriesMixture(model, i) && !outOfTime() ? hungerSamples(search, i, o.hungerSamples) : null;
    out.push({
      layer: i,
      bestLoss,
      reason: reasons.join('; '),
      relativeLoss,
      ...(mixtureLoss === undefined ? {} : { mixtureLoss }),
      ...(samples && samples.u.length > 0 ? { samples } : {}),
    });
  });
  return out;
}

/**
 * Layer i's pre-activations at the held-out rows, every unit (layers 0..i run by the reference
 * runner from each stream's carried state), thinned to at most
 * `max` by an even stride so the same buffer gives the same samples; and the mixture at them.
 */
export function hungerSamples(search: SelectionSearch, i: number, max: number): HungerSamples {
  const { model, set } = search;
  const units = model.layers[i]!.units;
  // the layers before i as selected; layer i itself runs its mixture, as the cloud's samples do
  const choices: LayerChoice[] = search.choices.map((c, j) => (j === i ? 'soft' : c));
  const slice = sliceModel(model, 0, i + 1, choices);
  const N = set.streams;
  const runner = new ReferenceRunner(slice, N);
  const sw = runner.stateWidth;
  const init = search.initialState;
  if (init && sw > 0) {
    const full = init.length / N;
    for (let n = 0; n < N; n++) runner.state.set(init.subarray(n * full, n * full + sw), n * sw);
  }
  let held = 0;
  for (let r = 0; r < set.role.length; r++) if (set.role[r] === ROLE_HELD_OUT) held++;
  const stride = Math.max(1, Math.ceil((held * units) / Math.max(1, max)));
  const u: number[] = [];
  const w = model.inputs;
  const y = new Float64Array(N * slice.outputs);
  let seen = 0;
  for (let t = 0; t < set.steps && u.length < max; t++) {
    runner.step(
      search.scaledInputs.subarray(t * N * w, (t + 1) * N * w),
      set.dt.subarray(t * N, (t + 1) * N),
      y,
    );
    const pre = runner.layerPreActivation(i);
    for (let n = 0; n < N; n++) {
      if (set.role[t * N + n] !== ROLE_HELD_OUT) continue;
      for (let j = 0; j < units; j++) {
        const v = pre[n * units + j]!;
        if (seen++ % stride === 0 && u.length < max && Number.isFinite(v)) u.push(v);
      }
    }
  }
  const uu = Float64Array.from(u);
  return { u: uu, phi: mixtureCurve(model, i, uu) };
}
