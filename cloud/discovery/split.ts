/**
 * Train, validation and test sets for one discovery task. A task with finite rows (user data, a
 * hunger job) is shuffled once with the seed and cut into three disjoint parts, so the reported
 * error is never measured on rows the network or the formula was fitted to. A task with a
 * sampler (the built-in families) gets three independent seeded draws.
 *
 * Validation rows judge pruning and consolidation; test rows are read only for the final report.
 */
import { InputError } from '../../shared/errors.js';
import type { Rng } from '../../shared/numeric/rng.js';
import type { DiscoveryTask, TaskSample } from './tasks.js';

export interface SplitOptions {
  /** Share of the rows held out for the test. In (0, 0.5]. @defaultValue 0.2 */
  readonly testFraction?: number;
  /** Share of the rows held out for validation. In (0, 0.5]. @defaultValue 0.1 */
  readonly validationFraction?: number;
  /** At most this many training rows (default: every row not held out; 1000 for a sampler). */
  readonly trainRows?: number;
  /** Exactly this many test rows (default: testFraction of the rows; 1000 for a sampler). */
  readonly testRows?: number;
}

export const SPLIT_DEFAULTS = Object.freeze({ testFraction: 0.2, validationFraction: 0.1, sampled: 1000 });

/** Fewest rows a part may have: below this a fit or an error figure means nothing. */
export const MIN_ROWS = Object.freeze({ train: 10, validation: 3, test: 3 });

export interface TaskSplit {
  readonly train: TaskSample;
  readonly validation: TaskSample;
  readonly test: TaskSample;
}

function checkFraction(name: string, v: number): void {
  if (!(v > 0 && v <= 0.5)) throw new InputError(`${name} must be in (0, 0.5], got ${v}`);
}

function checkCount(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 1))
    throw new InputError(`${name} must be a positive integer, got ${v}`);
}

/** Validate split options without data (the CLI checks them before any work). */
export function checkSplitOptions(o: SplitOptions): void {
  checkFraction('--test-fraction', o.testFraction ?? SPLIT_DEFAULTS.testFraction);
  checkFraction('--validation-fraction', o.validationFraction ?? SPLIT_DEFAULTS.validationFraction);
  checkCount('--train-rows', o.trainRows);
  checkCount('--test-rows', o.testRows);
}

function pick(all: TaskSample, order: readonly number[], from: number, count: number): TaskSample {
  const d = all.x.length / all.batch;
  const x = new Float64Array(count * d);
  const y = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const r = order[from + k]!;
    x.set(all.x.subarray(r * d, (r + 1) * d), k * d);
    y[k] = all.y[r]!;
  }
  return { x, y, batch: count };
}

export function splitTask(task: DiscoveryTask, rng: Rng, o: SplitOptions = {}): TaskSplit {
  checkSplitOptions(o);
  const testFraction = o.testFraction ?? SPLIT_DEFAULTS.testFraction;
  const validationFraction = o.validationFraction ?? SPLIT_DEFAULTS.validationFraction;
  const all = task.rows;
  if (!all) {
    const nTest = o.testRows ?? SPLIT_DEFAULTS.sampled;
    const nTrain = o.trainRows ?? SPLIT_DEFAULTS.sampled;
    const nVal = Math.max(MIN_ROWS.validation, Math.round(nTrain * validationFraction));
    return {
      train: task.sample(rng.fork('train'), nTrain),
      validation: task.sample(rng.fork('validation'), nVal),
      test: task.sample(rng.fork('test'), nTest),
    };
  }
  const n = all.batch;
  const nTest = o.testRows ?? Math.round(n * testFraction);
  const nVal = Math.round(n * validationFraction);
  const rest = n - nTest - nVal;
  const nTrain = Math.min(o.trainRows ?? rest, rest);
  if (nTest < MIN_ROWS.test || nVal < MIN_ROWS.validation || nTrain < MIN_ROWS.train) {
    throw new InputError(
      `task '${task.name}': ${n} rows are too few for the split (${Math.max(nTrain, 0)} train, ${nVal} validation, ${nTest} test; ` +
        `need at least ${MIN_ROWS.train}, ${MIN_ROWS.validation} and ${MIN_ROWS.test})`,
    );
  }
  const order = Array.from({ length: n }, (_, i) => i);
  rng.fork('split').shuffle(order);
  return {
    test: pick(all, order, 0, nTest),
    validation: pick(all, order, nTest, nVal),
    train: pick(all, order, nTest + nVal, nTrain),
  };
}
