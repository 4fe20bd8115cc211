/**
 * Forecasting from a CSV: a hybrid trained statefully on the standardised stream (run.ts), and
 * a model that takes and returns raw units (its scaling holds the training statistics). Every
 * error reported is the streaming evaluator's (shared/eval/streaming.ts) on the chronological
 * held-out rows with the state warmed on the rows before them, in the target's own units, next
 * to the persistence baseline on the same rows. A model that does not stay bounded on a
 * free-running stream is refused before anything is written.
 */

import { InputError, NumericError } from '../../shared/errors.js';
import { meanOf, persistenceMse } from '../../shared/eval/streaming.js';
import { readNumericCsv, selectColumns } from '../../shared/io/csv.js';
import { type ActivationLibrary, makeLibrary } from '../../shared/library/library.js';
import { mergeUsage, withUsage } from '../../shared/library/usage.js';
import { initModel } from '../../shared/model/init.js';
import { type HybridModel, layerCandidates } from '../../shared/model/model.js';
import { checkStability } from '../../shared/model/stability.js';
import { streamTestErrors } from './evaluate.js';
import type { LayerHunger } from './hunger.js';
import type { Standing } from './race.js';
import { type EpochRecord, type TrainOptions, type TrainResult, trainHybrid } from './trainer.js';
import { type ForecastStreamData, forecastData } from './windows.js';

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
  /** Steps of the free-running stability check before a model is accepted. @defaultValue 100000 */
  readonly stabilitySteps?: number;
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
  readonly data: ForecastStreamData;
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
  const data = forecastData(
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
  refuseUnstable(r.model, data, o.stabilitySteps ?? 100_000);
  const s2 = data.targetScaling.std ** 2;
  const { horizon, split } = data.stream;
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
    testMse: meanOf(streamTestErrors(r.model, data.stream)) * s2,
    valMse: r.bestValLoss * s2,
    persistenceMse: persistenceMse(data.stream.series, horizon, split.testStart, split.rows) * s2,
    selection: selectionOf(r.model),
    hunger: r.hunger,
    standings: r.standings,
    decision: r.decision,
    history: r.history,
    softModel: r.softModel,
    data,
  };
}

/**
 * The free-running check (shared/model/stability.ts) on the standardised model, over the range
 * of the training rows: a model that fails it is refused with the entries and the step.
 */
export function refuseUnstable(model: HybridModel, data: ForecastStreamData, steps: number): void {
  if (steps <= 0) return;
  const { values, cols } = data.stream.series;
  const range = Array.from({ length: cols }, (_, c) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0; r < data.split.valStart; r++) {
      lo = Math.min(lo, values[r * cols + c]!);
      hi = Math.max(hi, values[r * cols + c]!);
    }
    return { lo, hi, std: 1 };
  });
  const f = checkStability(model, { steps, range, seed: model.seed });
  if (f) {
    throw new NumericError(
      `the trained model (${f.entries}) diverges on a free-running stream: at step ${f.step} of ${steps} on the '${f.stream}' inputs its state or output reached ${f.value.toPrecision(3)} standard deviations; no model written`,
    );
  }
}
