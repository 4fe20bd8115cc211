/**
 * A discovery task: a regression from a few inputs to one target, with a seeded sampler.
 * Families pool several related tasks so that discovery harvests the shapes they share.
 */
import type { Rng } from '../../shared/numeric/rng.js';

export interface TaskSample {
  /** [n, inputs] row-major. */
  readonly x: Float64Array;
  /** [n] */
  readonly y: Float64Array;
  /** Number of samples (named as the KAN trainer names a batch). */
  readonly batch: number;
}

export interface DiscoveryTask {
  /** Unique within its family, e.g. 'pendulum'. */
  readonly name: string;
  readonly description: string;
  readonly inputNames: readonly string[];
  readonly targetName: string;
  /** Width list for the KAN, first entry = inputs, last = 1. */
  readonly width: readonly number[];
  /** n seeded samples; inputs should lie in about [-1, 1] (the KAN's initial grid). */
  sample(rng: Rng, n: number): TaskSample;
  /**
   * A finite data set (user rows, a job's samples): discovery splits these rows into disjoint
   * train, validation and test sets instead of calling sample().
   */
  readonly rows?: TaskSample;
  /** How inputs and target were scaled from the user's units; formulas are folded back through it. */
  readonly scaling?: TaskScaling;
}

export interface ColumnScaling {
  readonly name: string;
  /** normalised = (raw − shift) / scale */
  readonly shift: number;
  readonly scale: number;
}

export interface TaskScaling {
  readonly inputs: readonly ColumnScaling[];
  readonly target: ColumnScaling;
}

export interface TaskFamily {
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly DiscoveryTask[];
}

/** A task from a closed-form target over inputs drawn uniformly from [lo, hi]^d. */
export function formulaTask(o: {
  name: string;
  description: string;
  inputNames: string[];
  width: number[];
  f: (x: Float64Array, offset: number) => number;
  lo?: number;
  hi?: number;
}): DiscoveryTask {
  const lo = o.lo ?? -1;
  const hi = o.hi ?? 1;
  const d = o.inputNames.length;
  return {
    name: o.name,
    description: o.description,
    inputNames: o.inputNames,
    targetName: 'y',
    width: o.width,
    sample(rng, n) {
      const x = new Float64Array(n * d);
      const y = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        for (let c = 0; c < d; c++) x[r * d + c] = rng.uniform(lo, hi);
        y[r] = o.f(x, r * d);
      }
      return { x, y, batch: n };
    },
  };
}
