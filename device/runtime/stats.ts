/**
 * Running statistics for the device summary, bounded in memory: latencies are kept in a
 * reservoir (exact percentiles up to its capacity, a uniform sample beyond), squared errors as
 * (step, value) pairs in growing typed arrays, τ as min/mean/max summaries.
 */

export class Reservoir {
  private readonly values: Float64Array;
  private seen = 0;
  private seed = 0x9e3779b9;

  constructor(capacity = 1 << 16) {
    this.values = new Float64Array(capacity);
  }

  get count(): number {
    return this.seen;
  }

  push(v: number): void {
    const cap = this.values.length;
    if (this.seen < cap) this.values[this.seen] = v;
    else {
      // xorshift32: no allocation, deterministic
      this.seed ^= this.seed << 13;
      this.seed ^= this.seed >>> 17;
      this.seed ^= this.seed << 5;
      const j = (this.seed >>> 0) % (this.seen + 1);
      if (j < cap) this.values[j] = v;
    }
    this.seen++;
  }

  /** Nearest-rank percentiles, e.g. [50, 99]; NaN when empty. */
  percentiles(ps: readonly number[]): number[] {
    const n = Math.min(this.seen, this.values.length);
    if (n === 0) return ps.map(() => Number.NaN);
    const sorted = this.values.slice(0, n).sort();
    return ps.map((p) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!);
  }
}

/** Squared errors by step, to split into halves at the end. */
export class ErrorLog {
  private steps = new Float64Array(1024);
  private errors = new Float64Array(1024);
  private n = 0;

  push(step: number, squaredError: number): void {
    if (this.n === this.steps.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.steps = grow(this.steps);
      this.errors = grow(this.errors);
    }
    this.steps[this.n] = step;
    this.errors[this.n++] = squaredError;
  }

  get count(): number {
    return this.n;
  }

  /** Mean squared error of the labelled steps before and from step `split`; null for an empty half. */
  halves(split: number): { first: number | null; second: number | null } {
    let s1 = 0;
    let n1 = 0;
    let s2 = 0;
    let n2 = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.steps[i]! < split) {
        s1 += this.errors[i]!;
        n1++;
      } else {
        s2 += this.errors[i]!;
        n2++;
      }
    }
    return { first: n1 ? s1 / n1 : null, second: n2 ? s2 / n2 : null };
  }
}

export interface RangeSummary {
  readonly min: number;
  readonly mean: number;
  readonly max: number;
}

export function summarise(values: ArrayLike<number>): RangeSummary | null {
  if (values.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, mean: sum / values.length, max };
}
