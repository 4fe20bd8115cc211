/**
 * Forecasting windows over a physics stream: chosen columns of rows [from, to) cut by
 * cloud/train/windows.ts forecastWindows (chronological split, training-row standardisation),
 * plus what the stream knows and the windows do not: each window's first row and its per-step
 * Δt, so a variable-Δt trainer or a physics loss can use the true sample spacing.
 */
import { InputError } from '../../shared/errors.js';
import {
  type ForecastData,
  type ForecastOptions,
  forecastWindows,
  gather,
  type WindowSet,
} from '../train/windows.js';
import type { PhysicsStream } from './physics.js';

export interface PhysicsWindowOptions extends ForecastOptions {
  /** Target column: its name with or without the unit ('x' or 'x [m]'), or its index. */
  readonly target: string | number;
  /** Input columns, in order; the target must be one of them. @defaultValue every column */
  readonly inputs?: readonly (string | number)[];
  /** Stream rows [from, to) to cut windows from. @defaultValue [0, rows) */
  readonly rows?: readonly [number, number];
}

type Split<T> = { readonly train: T; readonly val: T; readonly test: T };

export interface PhysicsWindows extends ForecastData {
  /** Input column names, in window column order. */
  readonly columns: readonly string[];
  /** Index of the target among the window's input columns. */
  readonly targetCol: number;
  readonly horizon: number;
  /** Stream row of each window's first step, per split, [n]. */
  readonly starts: Split<Int32Array>;
  /** Per-step Δt in units of the nominal step (Δt / dtS, ≈ 1), per split, [n, window]. */
  readonly dts: Split<Float64Array>;
}

/** A column's index by full name, by name without its bracketed unit, or as an index. */
export function columnIndex(stream: PhysicsStream<object>, col: string | number): number {
  const i =
    typeof col === 'number' ? col : stream.columns.findIndex((c) => c === col || c.split(' [')[0] === col);
  if (!Number.isInteger(i) || i < 0 || i >= stream.columns.length) {
    throw new InputError(`${stream.name}: no column '${col}' (columns: ${stream.columns.join(', ')})`);
  }
  return i;
}

export function physicsWindows(stream: PhysicsStream<object>, opts: PhysicsWindowOptions): PhysicsWindows {
  const cols = (opts.inputs ?? stream.columns.map((_, i) => i)).map((c) => columnIndex(stream, c));
  const target = columnIndex(stream, opts.target);
  const targetCol = cols.indexOf(target);
  if (targetCol < 0) {
    throw new InputError(`${stream.name}: target '${stream.columns[target]}' must be one of the inputs`);
  }
  const [from, to] = opts.rows ?? [0, stream.rows];
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && to <= stream.rows && from < to)) {
    throw new InputError(`${stream.name}: rows [${from}, ${to}) must lie inside [0, ${stream.rows})`);
  }
  const width = stream.columns.length;
  const C = cols.length;
  const series = new Float64Array((to - from) * C);
  for (let r = from; r < to; r++) {
    for (let c = 0; c < C; c++) series[(r - from) * C + c] = stream.series[r * width + cols[c]!]!;
  }
  const data = forecastWindows(series, C, targetCol, opts, stream.name);
  const W = opts.window;
  const split = (offset: number, n: number) => {
    const starts = Int32Array.from({ length: n }, (_, k) => from + offset + k);
    const dts = new Float64Array(n * W);
    for (let k = 0; k < n; k++) {
      for (let t = 0; t < W; t++) dts[k * W + t] = stream.dt[starts[k]! + t]! / stream.dtS;
    }
    return { starts, dts };
  };
  const tr = split(0, data.train.n);
  const va = split(data.train.n, data.val.n);
  const te = split(data.train.n + data.val.n, data.test.n);
  return {
    ...data,
    columns: cols.map((c) => stream.columns[c]!),
    targetCol,
    horizon: opts.horizon,
    starts: { train: tr.starts, val: va.starts, test: te.starts },
    dts: { train: tr.dts, val: va.dts, test: te.dts },
  };
}

/**
 * k windows of a set, evenly spaced over it (window ⌊i·n/k⌋ for i < k): a little-data training
 * set that still spans the whole training period. `last` is kept for the persistence baseline.
 */
export function thinWindows(set: WindowSet, k: number): WindowSet {
  if (!Number.isInteger(k) || k < 1 || k > set.n) {
    throw new InputError(`thinWindows: k must be an integer in [1, ${set.n}], got ${k}`);
  }
  const idx = Array.from({ length: k }, (_, i) => Math.floor((i * set.n) / k));
  const { x, y } = gather(set, idx);
  return { ...set, x, y, n: k, last: Float64Array.from(idx, (i) => set.last[i]!) };
}
