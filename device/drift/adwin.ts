/**
 * ADWIN (ADaptive WINdowing, Bifet & Gavaldà 2007, the ADWIN2 variant with exponential
 * histograms). The window W is kept as buckets of 2^i values (at most maxBuckets + 1 per level,
 * the two oldest of a full level merged into the next), so memory is O(maxBuckets·log W). Every
 * `clock` values, each boundary between buckets splits W into an older W0 and a newer W1; if
 *
 *     |μ̂0 − μ̂1| > ε_cut,   ε_cut = sqrt(2·m·σ²_W·ln(2/δ′)) + (2/3)·m·ln(2/δ′),
 *     m = 1/(n0 − mₗ + 1) + 1/(n1 − mₗ + 1),   δ′ = δ / (2·ln n)   (as in MOA)
 *
 * the oldest bucket is dropped and the test repeats: W shrinks to the part after the change.
 * Bucket statistics: count 2^i, total Σx and Σ(x − mean)² (merged with the parallel formula).
 */
import type { DriftDetector, DriftEvent } from './types.js';

export interface AdwinOptions {
  /** Confidence δ of the cut test (smaller = fewer false alarms, later detection). @defaultValue 0.002 */
  readonly delta: number;
  /** Buckets per level before two are merged (M). @defaultValue 5 */
  readonly maxBuckets: number;
  /** Test for a cut every `clock` values. @defaultValue 32 */
  readonly clock: number;
  /** Smallest sub-window on either side of a cut (mₗ). @defaultValue 5 */
  readonly minSubWindow: number;
  /** Cap on the window length: the oldest buckets go beyond it (bounds memory). @defaultValue 2^20 */
  readonly maxWindow: number;
}

export const ADWIN_DEFAULTS: Readonly<AdwinOptions> = Object.freeze({
  delta: 0.002,
  maxBuckets: 5,
  clock: 32,
  minSubWindow: 5,
  maxWindow: 2 ** 20,
});

/** Levels of the histogram: 2^LEVELS values at most, far beyond any maxWindow used here. */
const LEVELS = 48;

export class Adwin implements DriftDetector {
  readonly name: string;
  readonly options: Readonly<AdwinOptions>;
  /** Per level, buckets oldest first: totals and squared deviations [LEVELS, maxBuckets + 1]. */
  private readonly totals: Float64Array;
  private readonly variances: Float64Array;
  /** Buckets used per level [LEVELS]. */
  private readonly used: Int32Array;
  private levels = 0;
  private width = 0;
  private total = 0;
  private variance = 0;
  private ticks = 0;
  private ignored = 0;
  private detections = 0;

  constructor(options: Partial<AdwinOptions> = {}, name = 'adwin') {
    this.options = Object.freeze({ ...ADWIN_DEFAULTS, ...options });
    this.name = name;
    const row = this.options.maxBuckets + 1;
    this.totals = new Float64Array(LEVELS * row);
    this.variances = new Float64Array(LEVELS * row);
    this.used = new Int32Array(LEVELS);
  }

  /** Current window length. */
  get windowLength(): number {
    return this.width;
  }

  /** Mean of the current window. */
  get mean(): number {
    return this.width > 0 ? this.total / this.width : 0;
  }

  update(value: number, step: number): DriftEvent | null {
    if (!Number.isFinite(value)) {
      this.ignored++;
      return null;
    }
    this.insert(value);
    while (this.width > this.options.maxWindow) this.dropOldest();
    this.ticks++;
    if (this.ticks % this.options.clock !== 0 || this.width < 2 * this.options.minSubWindow) return null;
    let cut = false;
    let statistic = 0;
    let threshold = 0;
    for (;;) {
      const found = this.findCut();
      if (!found) break;
      if (!cut) [statistic, threshold] = found;
      cut = true;
      this.dropOldest();
    }
    if (!cut) return null;
    this.detections++;
    return { step, detector: this.name, statistic, threshold, state: this.state() };
  }

  state(): Record<string, number> {
    let buckets = 0;
    for (let l = 0; l < this.levels; l++) buckets += this.used[l]!;
    return {
      width: this.width,
      mean: this.mean,
      variance: this.width > 0 ? this.variance / this.width : 0,
      buckets,
      ignored: this.ignored,
      detections: this.detections,
    };
  }

  reset(): void {
    this.used.fill(0);
    this.levels = 0;
    this.width = 0;
    this.total = 0;
    this.variance = 0;
    this.ticks = 0;
    this.ignored = 0;
    this.detections = 0;
  }

  private insert(value: number): void {
    if (this.width > 0) {
      const d = value - this.total / this.width;
      this.variance += (this.width * d * d) / (this.width + 1);
    }
    this.width++;
    this.total += value;
    this.push(0, value, 0);
    const M = this.options.maxBuckets;
    const row = M + 1;
    // compress: a level with M + 1 buckets merges its two oldest into one bucket of the next level
    for (let l = 0; l < LEVELS - 1 && this.used[l]! > M; l++) {
      const o = l * row;
      const n = 2 ** l;
      const t0 = this.totals[o]!;
      const t1 = this.totals[o + 1]!;
      const d = t0 / n - t1 / n;
      const v = this.variances[o]! + this.variances[o + 1]! + (n * n * d * d) / (2 * n);
      this.shiftOut(l, 2);
      this.push(l + 1, t0 + t1, v);
    }
  }

  /** Append a bucket (the newest) to level l. */
  private push(l: number, total: number, variance: number): void {
    const k = l * (this.options.maxBuckets + 1) + this.used[l]!;
    this.totals[k] = total;
    this.variances[k] = variance;
    this.used[l]++;
    if (l >= this.levels) this.levels = l + 1;
  }

  /** Remove the `count` oldest buckets of level l. */
  private shiftOut(l: number, count: number): void {
    const o = l * (this.options.maxBuckets + 1);
    const u = this.used[l]!;
    this.totals.copyWithin(o, o + count, o + u);
    this.variances.copyWithin(o, o + count, o + u);
    this.used[l] = u - count;
    while (this.levels > 0 && this.used[this.levels - 1] === 0) this.levels--;
  }

  /** Drop the oldest bucket of the window (the first one on the highest level). */
  private dropOldest(): void {
    const l = this.levels - 1;
    if (l < 0) return;
    const k = l * (this.options.maxBuckets + 1);
    const n = 2 ** l;
    const t = this.totals[k]!;
    const v = this.variances[k]!;
    this.width -= n;
    this.total -= t;
    const d = t / n - (this.width > 0 ? this.total / this.width : 0);
    this.variance -= v + (this.width > 0 ? (n * this.width * d * d) / (n + this.width) : 0);
    if (this.width === 0 || this.variance < 0) this.variance = 0;
    this.shiftOut(l, 1);
  }

  /** Scan the cuts from the oldest end; [|μ̂0 − μ̂1|, ε_cut] at the first that fails, else null. */
  private findCut(): [number, number] | null {
    const o = this.options;
    const W = this.width;
    if (W < 2 * o.minSubWindow) return null;
    const sigma2 = this.variance / W;
    const dd = Math.log((2 * Math.log(W)) / o.delta);
    let n0 = 0;
    let t0 = 0;
    for (let l = this.levels - 1; l >= 0; l--) {
      const n = 2 ** l;
      const base = l * (o.maxBuckets + 1);
      for (let b = 0; b < this.used[l]!; b++) {
        n0 += n;
        t0 += this.totals[base + b]!;
        const n1 = W - n0;
        if (n1 < o.minSubWindow) return null;
        if (n0 < o.minSubWindow) continue;
        const diff = Math.abs(t0 / n0 - (this.total - t0) / n1);
        const m = 1 / (n0 - o.minSubWindow + 1) + 1 / (n1 - o.minSubWindow + 1);
        const eps = Math.sqrt(2 * m * sigma2 * dd) + (2 / 3) * dd * m;
        if (diff > eps) return [diff, eps];
      }
    }
    return null;
  }
}
