/**
 * Training a liquid hybrid: the per-layer selector searches the library as a soft mixture,
 * then a race of hard configurations decides what ships.
 *
 * 1. Search: round(epochs · hardenAt) epochs of the soft mixture while the temperature falls
 *    geometrically from `temperatureStart` to `temperatureEnd` (run.ts: BPTT, Adam, clipping,
 *    early stopping, per-neuron τ inside its band, per-layer affine around each entry).
 * 2. Hunger: on the best soft checkpoint, each soft layer's mixture entropy and the loss gap
 *    between the mixture and its best single entry (hunger.ts), on the validation loss the
 *    race uses (streaming for a forecaster).
 * 3. Race (race.ts): the search's proposals and every library entry on all layers, each trained
 *    from the initial weights on the full schedule of `epochs` under successive halving; the
 *    best validation checkpoint of the winner is the model, where the winner is the reference
 *    entry (tanh) unless a challenger beats it on validation by more than noise. A configuration
 *    that wins trains exactly as it would alone, so the hybrid is a fixed-activation model
 *    whenever one of those wins, and a mixed selection when that is better.
 * A model with no soft layer (a fixed-activation baseline) is one run of `epochs`.
 */
import { heaviestEntry } from '../../shared/model/mixture.js';
import { type HybridModel, layerCandidates } from '../../shared/model/model.js';
import { validationLoss } from './evaluate.js';
import { type LayerHunger, layerHunger } from './hunger.js';
import { type EpochRecord, TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import {
  type Configuration,
  contestants,
  plannedRaceEpochs,
  type RaceResult,
  race,
  type Standing,
  sharedCandidates,
} from './race.js';
import { type EpochStats, type TrainData, TrainingRun } from './run.js';

export { type EpochRecord, TRAIN_DEFAULTS, type TrainOptions } from './options.js';

export interface TrainResult {
  readonly model: HybridModel;
  readonly history: EpochRecord[];
  /** Hunger per soft layer, measured on the search's best soft checkpoint. */
  readonly hunger: LayerHunger[];
  /** The search's best soft checkpoint (for hunger jobs: the mixture the layers wanted). */
  readonly softModel: HybridModel | null;
  /** The race's contestants, best first (empty for a fixed-activation model). */
  readonly standings: Standing[];
  /** The best challenger against the reference entry (race.ts), when it finished ahead. */
  readonly decision: RaceResult['decision'];
  readonly bestValLoss: number;
}

/** The soft search and each soft layer's hunger on its best checkpoint. */
function searchRun(
  initial: HybridModel,
  data: TrainData,
  o: TrainOptions,
  epochs: number,
  log: (e: EpochStats) => void,
): Pick<TrainResult, 'hunger'> & { readonly softModel: HybridModel } {
  const run = new TrainingRun(initial, 'search', o);
  const ratio = o.temperatureEnd / o.temperatureStart;
  run.advance(epochs, data, log, (e) => o.temperatureStart * ratio ** (epochs > 1 ? e / (epochs - 1) : 1));
  const softModel = run.ran > 0 ? run.best.model : initial;
  const hunger = softModel.layers.flatMap((l, i) =>
    l.selector.mode === 'soft'
      ? [layerHunger(softModel, i, (m) => validationLoss(m, data, o.loss), o.hungerGap, o.loss)]
      : [],
  );
  return { softModel, hunger };
}

/**
 * Only the selector's search: `epochs` soft epochs and the hunger of each soft layer, no race.
 * For callers that want the mixture itself (a deliberately hungry demo model, a hunger job).
 */
export function searchSelectors(
  initial: HybridModel,
  data: TrainData,
  options: Partial<TrainOptions> & { seed: number },
): Pick<TrainResult, 'hunger'> & { readonly softModel: HybridModel } {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options };
  return searchRun(initial, data, o, o.epochs, () => {});
}

export function trainHybrid(
  initial: HybridModel,
  data: TrainData,
  options: Partial<TrainOptions> & { seed: number },
  onEpoch?: (r: EpochRecord) => void,
): TrainResult {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options };
  const history: EpochRecord[] = [];
  const softLayers = initial.layers.flatMap((l, i) => (l.selector.mode === 'soft' ? [i] : []));
  const searchEpochs = softLayers.length ? Math.round(o.epochs * o.hardenAt) : 0;
  const shared = softLayers.length ? sharedCandidates(initial, softLayers) : [];
  const planned = softLayers.length
    ? searchEpochs + plannedRaceEpochs((o.raceLibrary ? shared.length : 1) + 2, o.epochs) + o.epochs
    : o.epochs;
  const log = (phase: EpochRecord['phase'], run: string) => (e: EpochStats) => {
    const record = {
      epoch: history.length,
      phase,
      run,
      progress: Math.min(1, (history.length + 1) / planned),
      ...e,
    };
    history.push(record);
    onEpoch?.(record);
  };

  if (!softLayers.length) {
    const run = new TrainingRun(initial, 'fixed', o);
    run.advance(o.epochs, data, log('hard', 'fixed'));
    return {
      model: run.best.model,
      history,
      hunger: [],
      softModel: null,
      standings: [],
      decision: null,
      bestValLoss: run.best.loss,
    };
  }

  const { softModel, hunger } = searchRun(initial, data, o, searchEpochs, log('soft', 'search'));
  const proposal = (label: string, choice: number[]): Configuration => ({
    label,
    layers: softLayers,
    choice,
  });
  const bestSingle = hunger.map((h) =>
    softModel.layers[h.layer]!.selector.candidates.indexOf(h.bestSingle.id),
  );
  const proposals = [
    proposal('search:best-single', bestSingle),
    proposal(
      'search:heaviest',
      softLayers.map((i) => heaviestEntry(softModel, i)),
    ),
  ];
  const entries = layerCandidates(initial, initial.layers[softLayers[0]!]!);
  const uniform = (k: number) =>
    proposal(
      `uniform:${entries[k]!.name}`,
      softLayers.map(() => k),
    );
  const ref =
    o.reference === null ? -1 : entries.findIndex((e) => e.id === o.reference || e.name === o.reference);
  const incumbent = ref >= 0 && shared.includes(ref) ? uniform(ref) : null;
  const field = contestants(
    incumbent ? [incumbent, ...proposals] : proposals,
    (o.raceLibrary ? shared : []).map(uniform),
  );
  const result = race(initial, field, data, o, (run, e) => log('hard', run)(e), incumbent?.label);
  return {
    model: result.model,
    history,
    hunger,
    softModel,
    standings: result.standings,
    decision: result.decision,
    bestValLoss: result.valLoss,
  };
}
