/**
 * Forecasting from a CSV: windows over the chosen columns, a hybrid trained on standardised
 * values, and a model that takes and returns raw units (its scaling holds the training
 * statistics). Errors are reported in the target's own units next to the persistence baseline.
 */
import { InputError } from '../../shared/errors.js';
import { readNumericCsv, selectColumns } from '../../shared/io/csv.js';
import { type ActivationLibrary, makeLibrary } from '../../shared/library/library.js';
import { mergeUsage, withUsage } from '../../shared/library/usage.js';
import { initModel } from '../../shared/model/init.js';
import { type HybridModel, layerCandidates } from '../../shared/model/model.js';
import { evaluateMse, persistenceMse } from './evaluate.js';
import type { LayerHunger } from './hunger.js';
import type { Standing } from './race.js';
import { type EpochRecord, type TrainOptions, type TrainResult, trainHybrid } from './trainer.js';
import { forecastWindows } from './windows.js';

export interface ForecastTrainOptions {
  readonly file: string;
  readonly target: string;
  /** Input columns (default: the target alone). */
  readonly inputs?: readonly string[];
  readonly window: number;
  readonly horizon: number;
  readonly library: ActivationLibrary;
  /** @defaultValue 16 */
  readonly hidden?: number;
  readonly seed: number;
  readonly train?: Partial<TrainOptions>;
  /** Start hard on one entry (a fixed-activation baseline) instead of selecting. */
  readonly activation?: string;
}

export interface LayerSelection {
  readonly layer: number;
  readonly kind: 'dense' | 'liquid';
  readonly id: string;
  readonly name: string;
}

export interface ForecastResult {
  readonly model: HybridModel;
  readonly testMse: number;
  readonly valMse: number;
  readonly persistenceMse: number;
  readonly selection: LayerSelection[];
  readonly hunger: LayerHunger[];
  /** The race's contestants, best first. */
  readonly standings: Standing[];
  readonly decision: TrainResult['decision'];
  readonly history: EpochRecord[];
  readonly softModel: HybridModel | null;
  readonly data: ReturnType<typeof forecastWindows>;
}

export function selectionOf(model: HybridModel): LayerSelection[] {
  return model.layers.map((l, i) => {
    const e = layerCandidates(model, l)[l.selector.chosen]!;
    return {
      layer: i,
      kind: l.kind,
      id: e.id,
      name: l.selector.mode === 'hard' ? e.name : `soft(${e.name}…)`,
    };
  });
}

/** Count each layer's chosen entry in the library's usage statistics (a new library version). */
export function recordUsage(model: HybridModel, task: string): HybridModel {
  const counts = new Map<string, number>();
  for (const l of model.layers) {
    if (l.selector.mode !== 'hard') continue;
    const id = l.selector.candidates[l.selector.chosen]!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const entries = model.library.entries.map((e) => {
    const n = counts.get(e.id);
    return n ? withUsage(e, mergeUsage(e.meta.usage, { count: n, byTask: { [task]: n } })) : e;
  });
  return { ...model, library: makeLibrary(entries, model.library.version + 1, model.library) };
}

export function trainForecast(o: ForecastTrainOptions, onEpoch?: (r: EpochRecord) => void): ForecastResult {
  const table = readNumericCsv(o.file);
  const inputs = o.inputs ?? [o.target];
  if (!table.columns.includes(o.target)) {
    throw new InputError(`${o.file}: no target column '${o.target}' (columns: ${table.columns.join(', ')})`);
  }
  const cols = [...inputs];
  const series = selectColumns(table, cols, o.file);
  const data = forecastWindows(
    series,
    cols.length,
    cols.indexOf(o.target),
    { window: o.window, horizon: o.horizon },
    o.file,
  );
  if (!o.library.entries.length) throw new InputError('the library has no entries to select from');
  const initial = initModel({
    library: o.library,
    inputs: cols.length,
    hidden: o.hidden ?? 16,
    outputs: 1,
    seed: o.seed,
    ...(o.activation ? { activation: o.activation } : {}),
  });
  // a persistence skip: the network learns the change from the last value, not the level,
  // which keeps trending series (CO2) from asking the network to extrapolate
  const withSkip: HybridModel = { ...initial, residualInput: cols.indexOf(o.target) };
  const r = trainHybrid(withSkip, data, { seed: o.seed, ...o.train }, onEpoch);
  const s2 = data.targetScaling.std ** 2;
  const trained: HybridModel = {
    ...r.model,
    scaling: {
      inputMean: data.inputScaling.mean,
      inputStd: data.inputScaling.std,
      outputMean: [data.targetScaling.mean],
      outputStd: [data.targetScaling.std],
    },
  };
  return {
    model: recordUsage(trained, o.file.replace(/^.*\//, '')),
    testMse: evaluateMse(r.model, data.test) * s2,
    valMse: r.bestValLoss * s2,
    persistenceMse: persistenceMse(data.test) * s2,
    selection: selectionOf(r.model),
    hunger: r.hunger,
    standings: r.standings,
    decision: r.decision,
    history: r.history,
    softModel: r.softModel,
    data,
  };
}
