/**
 * Reductions and normalisations on the tape: sum, mean, sumAxis, mseLoss, softmax.
 * A full reduction returns a scalar Var of shape [] (one value), ready for Tape.backward.
 */
import { ShapeError } from '../errors.js';
import { assertSameShape, fmtShape, lastAxis } from './ops-check.js';
import type { Tape, Var } from './tape.js';

/** Σ x over every element → scalar []. */
export function sum(tape: Tape, x: Var): Var {
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i]!;
  return tape.record(
    Float64Array.of(s),
    [],
    [x],
    (out) => {
      const g = out.grad![0]!;
      for (let i = 0; i < x.size; i++) x.grad![i] += g;
    },
    'sum',
  );
}

/** mean of every element → scalar []. */
export function mean(tape: Tape, x: Var): Var {
  if (x.size === 0) throw new ShapeError(`mean: empty input ${fmtShape(x.shape)}`);
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i]!;
  const inv = 1 / x.size;
  return tape.record(
    Float64Array.of(s * inv),
    [],
    [x],
    (out) => {
      const g = out.grad![0]! * inv;
      for (let i = 0; i < x.size; i++) x.grad![i] += g;
    },
    'mean',
  );
}

/**
 * Sum over one axis, dropping it: x [..., d_axis, ...] → the shape without that axis.
 * For example a KAN layer sums its edges: [batch, nIn, nOut] summed over axis 1 → [batch, nOut].
 */
export function sumAxis(tape: Tape, x: Var, axis: number): Var {
  const rank = x.shape.length;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new ShapeError(`sumAxis: axis ${axis} is outside [0, ${rank}) for shape ${fmtShape(x.shape)}`);
  }
  const len = x.shape[axis]!;
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= x.shape[a]!;
  let inner = 1;
  for (let a = axis + 1; a < rank; a++) inner *= x.shape[a]!;
  const y = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < len; l++) {
      const src = (o * len + l) * inner;
      for (let i = 0; i < inner; i++) y[o * inner + i] += x.data[src + i]!;
    }
  }
  const shape = x.shape.filter((_, a) => a !== axis);
  return tape.record(
    y,
    shape,
    [x],
    (out) => {
      const g = out.grad!;
      for (let o = 0; o < outer; o++) {
        for (let l = 0; l < len; l++) {
          const dst = (o * len + l) * inner;
          for (let i = 0; i < inner; i++) x.grad![dst + i] += g[o * inner + i]!;
        }
      }
    },
    'sumAxis',
  );
}

/** mean((pred − target)²) over every element → scalar []. Gradients flow to both if needed. */
export function mseLoss(tape: Tape, pred: Var, target: Var): Var {
  assertSameShape('mseLoss', pred, target);
  if (pred.size === 0) throw new ShapeError(`mseLoss: empty input ${fmtShape(pred.shape)}`);
  const n = pred.size;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const r = pred.data[i]! - target.data[i]!;
    s += r * r;
  }
  return tape.record(
    Float64Array.of(s / n),
    [],
    [pred, target],
    (out) => {
      const c = (2 * out.grad![0]!) / n;
      for (let i = 0; i < n; i++) {
        const r = c * (pred.data[i]! - target.data[i]!);
        if (pred.requiresGrad) pred.grad![i] += r;
        if (target.requiresGrad) target.grad![i] -= r;
      }
    },
    'mseLoss',
  );
}

/**
 * softmax(x / T) over the last axis, rows independent: [..., n] → [..., n].
 * The row maximum is subtracted first so exp never overflows. Backward, per row:
 * dx = y ⊙ (dy − Σ dy ⊙ y) / T.
 *
 * @param temperature T > 0; small T sharpens towards argmax, large T flattens. @defaultValue 1
 */
export function softmax(tape: Tape, x: Var, temperature = 1): Var {
  if (!(temperature > 0)) throw new ShapeError(`softmax: temperature must be > 0, got ${temperature}`);
  const [rows, n] = lastAxis('softmax', x);
  const invT = 1 / temperature;
  const y = new Float64Array(x.size);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) if (x.data[o + j]! > max) max = x.data[o + j]!;
    let z = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp((x.data[o + j]! - max) * invT);
      y[o + j] = e;
      z += e;
    }
    for (let j = 0; j < n; j++) y[o + j] /= z;
  }
  return tape.record(
    y,
    x.shape,
    [x],
    (out) => {
      const g = out.grad!;
      for (let r = 0; r < rows; r++) {
        const o = r * n;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += g[o + j]! * y[o + j]!;
        for (let j = 0; j < n; j++) x.grad![o + j] += y[o + j]! * (g[o + j]! - dot) * invT;
      }
    },
    'softmax',
  );
}
