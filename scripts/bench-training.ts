/**
 * Training cost of the selector, side by side on one data set and model size: seconds per epoch
 * of a fixed-tanh liquid model, of the hybrid while its selectors mix every library entry, and of
 * the hybrid once the choice is hard; the whole training (search and race) against the tanh
 * model's; plus the exported step latency of the hard hybrid next to
 * the tanh model's (onnxruntime-node, one thread). And the stateful truncated-BPTT epoch that
 * forecasting trains with against the sequence-to-one windowed epoch it replaced, same data.
 */
import { performance } from 'node:perf_hooks';
import { stepLatencyUs } from '../cloud/train/compare.js';
import { type TrainData, TrainingRun } from '../cloud/train/run.js';
import { TRAIN_DEFAULTS, trainHybrid } from '../cloud/train/trainer.js';
import { forecastData, forecastWindows } from '../cloud/train/windows.js';
import { parseNumericCsv, selectColumns } from '../shared/io/csv.js';
import { classicLibrary } from '../shared/library/library.js';
import { initModel } from '../shared/model/init.js';
import type { HybridModel } from '../shared/model/model.js';
import { Rng } from '../shared/numeric/rng.js';

/** A seasonal series with noise (stands in for a sensor log; no file needed). */
function series(n: number): Float64Array {
  const rng = new Rng(11);
  return Float64Array.from(
    { length: n },
    (_, t) => Math.sin((2 * Math.PI * t) / 12) + 0.3 * Math.sin(t / 40) + 0.1 * rng.normal(),
  );
}

/**
 * Median seconds per epoch of each model (soft selectors stay soft: no search, no race). The
 * runs take turns one epoch at a time, so a burst of load on a shared machine hits them alike.
 */
function secondsPerEpoch<K extends string>(models: Record<K, HybridModel>, data: TrainData, epochs: number) {
  const o = { ...TRAIN_DEFAULTS, seed: 1, epochs, patience: 1000 };
  const names = Object.keys(models) as K[];
  const runs = names.map((k) => new TrainingRun(models[k], k, o));
  const times = names.map(() => [] as number[]);
  for (let e = 1; e <= epochs; e++) {
    runs.forEach((run, i) => {
      const t0 = performance.now();
      run.advance(e, data, () => {});
      times[i]!.push((performance.now() - t0) / 1000);
    });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return Object.fromEntries(
    names.map((k, i) => [k, { s: median(times[i]!), model: runs[i]!.best.model }]),
  ) as Record<K, { s: number; model: HybridModel }>;
}

/**
 * Median seconds per epoch of the same model trained statefully on the stream and windowed on
 * the windows cut from it (each epoch includes its validation), taking turns epoch by epoch.
 */
function streamVsWindowed(model: HybridModel, epochs: number) {
  const table = parseNumericCsv(`v\n${Array.from(series(1200)).join('\n')}`, 'synthetic');
  const data = forecastData(
    selectColumns(table, ['v'], 'synthetic'),
    1,
    0,
    { window: 16, horizon: 1 },
    'synthetic',
  );
  const o = { ...TRAIN_DEFAULTS, seed: 1, epochs, patience: 1000 };
  const runs = [
    { run: new TrainingRun(model, 'stateful', o), data: data as TrainData, times: [] as number[] },
    {
      run: new TrainingRun(model, 'windowed', o),
      data: { train: data.train, val: data.val },
      times: [] as number[],
    },
  ];
  for (let e = 1; e <= epochs; e++) {
    for (const r of runs) {
      const t0 = performance.now();
      r.run.advance(e, r.data, () => {});
      r.times.push((performance.now() - t0) / 1000);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return { stateful: median(runs[0]!.times), windowed: median(runs[1]!.times) };
}

/** Wall seconds of a whole training: for the hybrid the search and the race. */
function secondsToTrain(model: HybridModel, data: TrainData, epochs: number) {
  const t0 = performance.now();
  const r = trainHybrid(model, data, { seed: 1, epochs, patience: 1000 });
  return { s: (performance.now() - t0) / 1000, epochs: r.history.length };
}

export async function benchTraining(): Promise<Record<string, unknown>> {
  const table = parseNumericCsv(`v\n${Array.from(series(1200)).join('\n')}`, 'synthetic');
  const data = forecastWindows(
    selectColumns(table, ['v'], 'synthetic'),
    1,
    0,
    { window: 16, horizon: 1 },
    'synthetic',
  );
  const make = (activation?: string) =>
    initModel({
      library: classicLibrary(),
      inputs: 1,
      hidden: 16,
      outputs: 1,
      seed: 1,
      ...(activation ? { activation } : {}),
    });
  const epochs = 7;
  const { tanh, soft, hard } = secondsPerEpoch(
    // soft: selectors mixing every entry; hard: a hard non-tanh choice
    { tanh: make('tanh'), soft: make(), hard: make('gelu') },
    data,
    epochs,
  );
  const wholeEpochs = 8;
  const wholeTanh = secondsToTrain(make('tanh'), data, wholeEpochs);
  const wholeHybrid = secondsToTrain(make(), data, wholeEpochs);
  const perEpoch = streamVsWindowed(make('tanh'), epochs);
  const tanhUs = await stepLatencyUs(tanh.model);
  const hybridUs = await stepLatencyUs(hard.model);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    data: '1200-step synthetic seasonal series, window 16, hidden 16, classic library (10 entries)',
    s_per_epoch: { liquid_tanh: r(tanh.s), hybrid_soft: r(soft.s), hybrid_hard: r(hard.s) },
    ratios: {
      soft_over_tanh: r(soft.s / tanh.s),
      hard_over_tanh: r(hard.s / tanh.s),
      step_latency_hybrid_over_tanh: r(hybridUs / tanhUs),
      whole_training_hybrid_over_tanh: r(wholeHybrid.s / wholeTanh.s),
    },
    whole_training: {
      epochs: wholeEpochs,
      liquid_tanh: { s: r(wholeTanh.s), epochs_run: wholeTanh.epochs },
      hybrid_search_and_race: { s: r(wholeHybrid.s), epochs_run: wholeHybrid.epochs },
    },
    step_us: { liquid_tanh: tanhUs, hybrid_hard: hybridUs },
    stateful_vs_windowed: {
      s_per_epoch: { stateful_tbptt: r(perEpoch.stateful), windowed_seq_to_one: r(perEpoch.windowed) },
      ratio: r(perEpoch.stateful / perEpoch.windowed),
    },
    targets: {
      soft_le_3x: soft.s / tanh.s <= 3,
      hard_le_1_2x: hard.s / tanh.s <= 1.2,
      step_latency_le_1_2x: hybridUs / tanhUs <= 1.2,
      stateful_epoch_le_1_5x_windowed: perEpoch.stateful / perEpoch.windowed <= 1.5,
    },
  };
}
