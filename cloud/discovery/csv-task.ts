/**
 * User data as a discovery task: every column but the target is an input. Inputs are scaled
 * min–max onto [-1, 1] (the KAN's initial grid) and the target standardised, so the learned
 * edge shapes do not depend on units; the scalings go with the task so that discovery reports
 * errors and formulas in the user's units. The scalings are taken over all rows: they use no
 * target value of a test row beyond its share of the mean and spread, and they keep every test
 * input inside the grid.
 */
import { InputError } from '../../shared/errors.js';
import { type NumericTable, readNumericCsv } from '../../shared/io/csv.js';
import type { ColumnScaling, DiscoveryTask, TaskSample, TaskScaling } from './tasks.js';

export type { ColumnScaling } from './tasks.js';

export interface CsvTask extends DiscoveryTask {
  readonly source: string;
  readonly rows: TaskSample;
  readonly scaling: TaskScaling;
}

export function csvTask(table: NumericTable, target: string, source: string, hidden = 5): CsvTask {
  const t = table.columns.indexOf(target);
  if (t < 0) throw new InputError(`${source}: no column '${target}' (columns: ${table.columns.join(', ')})`);
  if (table.columns.length < 2)
    throw new InputError(`${source}: needs at least one input column besides '${target}'`);
  if (table.rows < 10)
    throw new InputError(`${source}: ${table.rows} rows are too few for discovery (need ≥ 10)`);
  const w = table.columns.length;
  const inputCols = table.columns.map((_, i) => i).filter((i) => i !== t);
  const stats = (c: number) => {
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    for (let r = 0; r < table.rows; r++) {
      const v = table.values[r * w + c]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
    }
    if (hi - lo <= 1e-12 * Math.max(1, Math.abs(hi))) {
      throw new InputError(
        `${source}: column '${table.columns[c]}' is constant (${lo}); nothing can be learned from it`,
      );
    }
    const mean = sum / table.rows;
    let sq = 0;
    for (let r = 0; r < table.rows; r++) sq += (table.values[r * w + c]! - mean) ** 2;
    return { lo, hi, mean, std: Math.sqrt(sq / table.rows) };
  };
  const inputScaling: ColumnScaling[] = inputCols.map((c) => {
    const s = stats(c);
    return { name: table.columns[c]!, shift: (s.lo + s.hi) / 2, scale: (s.hi - s.lo) / 2 };
  });
  const ts = stats(t);
  const targetScaling: ColumnScaling = { name: target, shift: ts.mean, scale: ts.std };
  const d = inputCols.length;
  const x = new Float64Array(table.rows * d);
  const y = new Float64Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    inputCols.forEach((c, j) => {
      const s = inputScaling[j]!;
      x[r * d + j] = (table.values[r * w + c]! - s.shift) / s.scale;
    });
    y[r] = (table.values[r * w + t]! - targetScaling.shift) / targetScaling.scale;
  }
  return {
    name: source.replace(/^.*\//, '').replace(/\.csv$/i, ''),
    description: `${target} from ${inputScaling.map((s) => s.name).join(', ')} (${source})`,
    inputNames: inputScaling.map((s) => s.name),
    targetName: target,
    width: [d, hidden, 1],
    source,
    scaling: { inputs: inputScaling, target: targetScaling },
    rows: { x, y, batch: table.rows },
    /** The data itself, in a seeded order (n is capped at the number of rows). */
    sample(rng, n) {
      const order = Array.from({ length: table.rows }, (_, i) => i);
      rng.shuffle(order);
      const m = Math.min(n, table.rows);
      const xs = new Float64Array(m * d);
      const ys = new Float64Array(m);
      for (let k = 0; k < m; k++) {
        xs.set(x.subarray(order[k]! * d, (order[k]! + 1) * d), k * d);
        ys[k] = y[order[k]!]!;
      }
      return { x: xs, y: ys, batch: m };
    },
  };
}

export function csvTaskFromFile(file: string, target: string, hidden?: number): CsvTask {
  return csvTask(readNumericCsv(file), target, file, hidden);
}
