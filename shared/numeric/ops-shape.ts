/**
 * Movement ops on the tape: concat and sliceColumns along the last axis, and reshape.
 * They move values without arithmetic; backward routes each gradient back to where the value
 * came from.
 */
import { ShapeError } from '../errors.js';
import { fmtShape, lastAxis } from './ops-check.js';
import { type Shape, sizeOf, type Tape, type Var } from './tape.js';

/**
 * Join Vars along the last axis: [..., n₁], [..., n₂], … → [..., n₁ + n₂ + …].
 * All leading dimensions must agree.
 */
export function concat(tape: Tape, xs: readonly Var[]): Var {
  if (xs.length === 0) throw new ShapeError('concat: needs at least one input');
  const first = xs[0]!;
  const lead = first.shape.slice(0, -1);
  const [rows] = lastAxis('concat', first);
  const widths = new Int32Array(xs.length);
  let total = 0;
  for (let t = 0; t < xs.length; t++) {
    const x = xs[t]!;
    const [r, n] = lastAxis('concat', x);
    const same = x.shape.length === first.shape.length && x.shape.slice(0, -1).every((d, a) => d === lead[a]);
    if (!same || r !== rows) {
      throw new ShapeError(
        `concat: input ${t} ${fmtShape(x.shape)} does not match input 0 ${fmtShape(first.shape)} before the last axis`,
      );
    }
    widths[t] = n;
    total += n;
  }
  const y = new Float64Array(rows * total);
  let offset = 0;
  for (let t = 0; t < xs.length; t++) {
    const d = xs[t]!.data;
    const n = widths[t]!;
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) y[r * total + offset + j] = d[r * n + j]!;
    offset += n;
  }
  return tape.record(
    y,
    [...lead, total],
    xs,
    (out) => {
      const g = out.grad!;
      let off = 0;
      for (let t = 0; t < xs.length; t++) {
        const x = xs[t]!;
        const n = widths[t]!;
        if (x.requiresGrad) {
          for (let r = 0; r < rows; r++)
            for (let j = 0; j < n; j++) x.grad![r * n + j] += g[r * total + off + j]!;
        }
        off += n;
      }
    },
    'concat',
  );
}

/** Columns [start, end) of the last axis: [..., n] → [..., end − start]. */
export function sliceColumns(tape: Tape, x: Var, start: number, end: number): Var {
  const [rows, n] = lastAxis('sliceColumns', x);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start > end) {
    throw new ShapeError(
      `sliceColumns: range [${start}, ${end}) is not inside the last axis of ${fmtShape(x.shape)}`,
    );
  }
  const w = end - start;
  const y = new Float64Array(rows * w);
  for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) y[r * w + j] = x.data[r * n + start + j]!;
  return tape.record(
    y,
    [...x.shape.slice(0, -1), w],
    [x],
    (out) => {
      const g = out.grad!;
      for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) x.grad![r * n + start + j] += g[r * w + j]!;
    },
    'sliceColumns',
  );
}

/** Same values, new shape of the same size (row-major order is kept). The data is copied. */
export function reshape(tape: Tape, x: Var, shape: Shape): Var {
  if (sizeOf(shape) !== x.size) {
    throw new ShapeError(
      `reshape: cannot view ${fmtShape(x.shape)} (${x.size} values) as ${fmtShape(shape)}`,
    );
  }
  return tape.record(
    Float64Array.from(x.data),
    [...shape],
    [x],
    (out) => {
      const g = out.grad!;
      for (let i = 0; i < g.length; i++) x.grad![i] += g[i]!;
    },
    'reshape',
  );
}
