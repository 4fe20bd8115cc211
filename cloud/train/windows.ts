/**
 * A forecasting series prepared for training: the standardised stream the stateful trainer and
 * the streaming evaluator run over, and sliding windows over it (W consecutive rows labelled
 * with the target H steps after the window's last row) for the flat MLP flavours, hunger
 * probes and the sequence-to-one trainer the voice task still uses. Splits are chronological
 * and by label row (shared/eval/streaming.ts heldOutSplit), so a window and the streaming
 * evaluator score the same rows, and standardisation uses the training rows only.
 */

import { InputError } from '../../shared/errors.js';
import { type HeldOutSplit, heldOutSplit, type Series } from '../../shared/eval/streaming.js';

export interface WindowSet {
  /** [n, window, inputs] row-major, batch-major like the sequence graph. */
  readonly x: Float64Array;
  /** [n, outputs] */
  readonly y: Float64Array;
  /** The target's value at each window's last row (persistence forecast), [n]. */
  readonly last: Float64Array;
  readonly n: number;
  readonly window: number;
  readonly inputs: number;
  readonly outputs: number;
  /** Per-step Δt [n, window] for irregular sampling; absent = the model's dtDefault. */
  readonly dts?: Float64Array;
}

export interface Standardizer {
  readonly mean: number[];
  readonly std: number[];
}

export interface ForecastData {
  readonly train: WindowSet;
  readonly val: WindowSet;
  readonly test: WindowSet;
  /** Per input column, from the training rows. */
  readonly inputScaling: Standardizer;
  /** Of the target, from the training rows (the model learns standardised targets). */
  readonly targetScaling: { mean: number; std: number };
  /** Label rows of validation and test. */
  readonly split: HeldOutSplit;
  readonly horizon: number;
}

/** The whole series standardised, for the stateful trainer and the streaming evaluator. */
export interface StreamData {
  readonly series: Series;
  readonly horizon: number;
  readonly split: HeldOutSplit;
}

/** Windows plus the standardised stream they were cut from. */
export interface ForecastStreamData extends ForecastData {
  readonly stream: StreamData;
}

export interface ForecastOptions {
  readonly window: number;
  readonly horizon: number;
  /** Fractions of label rows for training and validation; the rest is test. @defaultValue 0.7, 0.15 */
  readonly trainFraction?: number;
  readonly valFraction?: number;
}

/**
 * series [rows, cols] with the target in column targetCol; every column is an input.
 * `source` names the data in errors.
 */
export function forecastWindows(
  series: Float64Array,
  cols: number,
  targetCol: number,
  opts: ForecastOptions,
  source: string,
): ForecastData {
  const rows = series.length / cols;
  const { window: W, horizon: H } = opts;
  if (!Number.isInteger(W) || W < 1) throw new InputError(`--window must be a positive integer, got ${W}`);
  if (!Number.isInteger(H) || H < 1) throw new InputError(`--horizon must be a positive integer, got ${H}`);
  const n = rows - W - H + 1;
  if (n < 20) {
    throw new InputError(
      `${source}: ${rows} rows leave ${Math.max(0, n)} windows of ${W} rows with horizon ${H}; need at least 20 (shorten --window or --horizon)`,
    );
  }
  const split = heldOutSplit(rows, { train: opts.trainFraction ?? 0.7, val: opts.valFraction ?? 0.15 });
  // window k is labelled on row k + W − 1 + H
  const firstLabel = W - 1 + H;
  const nTrain = Math.max(0, split.valStart - firstLabel);
  const nVal = Math.max(0, split.testStart - firstLabel) - nTrain;
  if (nTrain < 1 || nVal < 1) {
    throw new InputError(
      `${source}: ${rows} rows leave no training or validation windows of ${W} rows with horizon ${H} (shorten --window or --horizon)`,
    );
  }
  // standardise with the rows the training windows and their labels touch
  const trainRows = split.valStart;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < cols; c++) {
    let s = 0;
    for (let r = 0; r < trainRows; r++) s += series[r * cols + c]!;
    const m = s / trainRows;
    let q = 0;
    for (let r = 0; r < trainRows; r++) q += (series[r * cols + c]! - m) ** 2;
    const sd = Math.sqrt(q / trainRows);
    if (!(sd > 0)) throw new InputError(`${source}: column ${c} is constant over the training rows`);
    mean.push(m);
    std.push(sd);
  }
  const make = (start: number, count: number): WindowSet => {
    const x = new Float64Array(count * W * cols);
    const y = new Float64Array(count);
    const last = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const s = start + k;
      for (let t = 0; t < W; t++) {
        for (let c = 0; c < cols; c++) {
          x[(k * W + t) * cols + c] = (series[(s + t) * cols + c]! - mean[c]!) / std[c]!;
        }
      }
      y[k] = (series[(s + W - 1 + H) * cols + targetCol]! - mean[targetCol]!) / std[targetCol]!;
      last[k] = (series[(s + W - 1) * cols + targetCol]! - mean[targetCol]!) / std[targetCol]!;
    }
    return { x, y, last, n: count, window: W, inputs: cols, outputs: 1 };
  };
  return {
    train: make(0, nTrain),
    val: make(nTrain, nVal),
    test: make(nTrain + nVal, n - nTrain - nVal),
    inputScaling: { mean, std },
    targetScaling: { mean: mean[targetCol]!, std: std[targetCol]! },
    split,
    horizon: H,
  };
}

/**
 * Windows and the standardised stream. The stateful trainer needs at least two truncation
 * segments of training predictions besides the held-out part.
 */
export function forecastData(
  series: Float64Array,
  cols: number,
  targetCol: number,
  opts: ForecastOptions,
  source: string,
): ForecastStreamData {
  const data = forecastWindows(series, cols, targetCol, opts, source);
  const { split } = data;
  const trainPredictions = split.valStart - opts.horizon;
  if (trainPredictions < 2 * opts.window) {
    throw new InputError(
      `${source}: ${split.rows} rows hold out the last ${split.rows - split.valStart} for validation and test and leave ${Math.max(0, trainPredictions)} training steps with horizon ${opts.horizon}; two segments of --window ${opts.window} need ${2 * opts.window} (shorten --window or use a longer series)`,
    );
  }
  const { mean, std } = data.inputScaling;
  const values = new Float64Array(series.length);
  for (let i = 0; i < series.length; i++) values[i] = (series[i]! - mean[i % cols]!) / std[i % cols]!;
  return { ...data, stream: { series: { values, cols, targetCol }, horizon: opts.horizon, split } };
}

/** Rows idx of a window set, gathered into a new one (for mini-batches). */
export function gather(set: WindowSet, idx: ArrayLike<number>) {
  const per = set.window * set.inputs;
  const W = set.window;
  const x = new Float64Array(idx.length * per);
  const y = new Float64Array(idx.length * set.outputs);
  const dts = set.dts ? new Float64Array(idx.length * W) : null;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    x.set(set.x.subarray(i * per, (i + 1) * per), k * per);
    y.set(set.y.subarray(i * set.outputs, (i + 1) * set.outputs), k * set.outputs);
    if (dts && set.dts) dts.set(set.dts.subarray(i * W, (i + 1) * W), k * W);
  }
  return { x, y, dts };
}
