/**
 * Population Stability Index of one input feature: a reference window (the first
 * referenceSize finite values) against a sliding window of the most recent recentSize values.
 * Bin edges are the reference's quantiles at k/bins (k = 1…bins−1; duplicates merged), with
 * open outer bins, so every bin holds about 1/bins of the reference:
 *
 *     PSI = Σ_b (r_b − q_b)·ln(r_b / q_b),   q_b, r_b = reference and recent bin fractions,
 *
 * each fraction floored at `epsilon`. By the usual convention PSI < 0.1 is stable, 0.1–0.2 a
 * moderate shift and > 0.2 a significant one (the default threshold). Under no change PSI is
 * about (bins − 1)·(1/referenceSize + 1/recentSize). After a detection the reference is
 * rebuilt from the next referenceSize values (like Page-Hinkley's restart), so a lasting shift
 * gives one event and a later shift is measured against the new regime. The recent window's bin counts are
 * updated incrementally (a ring of bin indices), so a step costs O(log bins).
 */
import type { DriftDetector, DriftEvent } from './types.js';

export interface PsiOptions {
  /** Values in the reference window. @defaultValue 500 */
  readonly referenceSize: number;
  /** Values in the sliding recent window. @defaultValue 500 */
  readonly recentSize: number;
  /** Quantile bins. @defaultValue 10 */
  readonly bins: number;
  /** Detection threshold on PSI. @defaultValue 0.2 */
  readonly threshold: number;
  /** Compute PSI every `checkEvery` values once the recent window is full. @defaultValue 25 */
  readonly checkEvery: number;
  /** Floor on each bin fraction (keeps ln finite for empty bins). @defaultValue 1e-4 */
  readonly epsilon: number;
}

export const PSI_DEFAULTS: Readonly<PsiOptions> = Object.freeze({
  referenceSize: 500,
  recentSize: 500,
  bins: 10,
  threshold: 0.2,
  checkEvery: 25,
  epsilon: 1e-4,
});

/** PSI between two bin-count vectors [bins] with totals nq, nr (fractions floored at eps). */
export function psiFromCounts(
  q: ArrayLike<number>,
  nq: number,
  r: ArrayLike<number>,
  nr: number,
  eps: number,
) {
  let s = 0;
  for (let b = 0; b < q.length; b++) {
    const pq = Math.max(eps, q[b]! / nq);
    const pr = Math.max(eps, r[b]! / nr);
    s += (pr - pq) * Math.log(pr / pq);
  }
  return s;
}

export class PsiDetector implements DriftDetector {
  readonly name: string;
  readonly options: Readonly<PsiOptions>;
  private readonly reference: Float64Array;
  private nReference = 0;
  /** Inner bin edges, ascending [nEdges]. */
  private edges = new Float64Array(0);
  private refCounts = new Float64Array(0);
  private recentCounts = new Float64Array(0);
  /** Ring of the recent values' bin indices [recentSize]. */
  private readonly ring: Int32Array;
  private nRecent = 0;
  private head = 0;
  private seen = 0;
  private last = 0;
  private ignored = 0;
  private detections = 0;

  constructor(options: Partial<PsiOptions> = {}, name = 'psi') {
    this.options = Object.freeze({ ...PSI_DEFAULTS, ...options });
    this.name = name;
    this.reference = new Float64Array(this.options.referenceSize);
    this.ring = new Int32Array(this.options.recentSize);
  }

  /** The last PSI computed (0 before the first check). */
  get value(): number {
    return this.last;
  }

  update(value: number, step: number): DriftEvent | null {
    if (!Number.isFinite(value)) {
      this.ignored++;
      return null;
    }
    const o = this.options;
    if (this.nReference < o.referenceSize) {
      this.reference[this.nReference++] = value;
      if (this.nReference === o.referenceSize) this.freeze();
      return null;
    }
    const bin = this.binOf(value);
    if (this.nRecent === o.recentSize) this.recentCounts[this.ring[this.head]!]--;
    else this.nRecent++;
    this.ring[this.head] = bin;
    this.recentCounts[bin]++;
    this.head = (this.head + 1) % o.recentSize;
    this.seen++;
    if (this.nRecent < o.recentSize || this.seen % o.checkEvery !== 0) return null;
    this.last = psiFromCounts(this.refCounts, o.referenceSize, this.recentCounts, this.nRecent, o.epsilon);
    if (!(this.last > o.threshold)) return null;
    this.detections++;
    const event = {
      step,
      detector: this.name,
      statistic: this.last,
      threshold: o.threshold,
      state: this.state(),
    };
    this.nReference = 0;
    this.clearRecent();
    return event;
  }

  state(): Record<string, number> {
    return {
      psi: this.last,
      reference: this.nReference,
      recent: this.nRecent,
      bins: this.refCounts.length,
      ignored: this.ignored,
      detections: this.detections,
    };
  }

  /** Drop the recent window but keep the reference (e.g. after acting on a detection). */
  clearRecent(): void {
    this.recentCounts.fill(0);
    this.nRecent = 0;
    this.head = 0;
    this.seen = 0;
    this.last = 0;
  }

  reset(): void {
    this.nReference = 0;
    this.edges = new Float64Array(0);
    this.refCounts = new Float64Array(0);
    this.recentCounts = new Float64Array(0);
    this.clearRecent();
    this.ignored = 0;
    this.detections = 0;
  }

  /** Reference complete: quantile edges, then the reference's own bin counts. */
  private freeze(): void {
    const o = this.options;
    const sorted = this.reference.slice().sort();
    const edges: number[] = [];
    for (let k = 1; k < o.bins; k++) {
      const e = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / o.bins))]!;
      if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
    }
    this.edges = Float64Array.from(edges);
    this.refCounts = new Float64Array(edges.length + 1);
    this.recentCounts = new Float64Array(edges.length + 1);
    for (let i = 0; i < this.reference.length; i++) this.refCounts[this.binOf(this.reference[i]!)]++;
  }

  /** Index of the bin holding v: the number of edges ≤ v (binary search). */
  private binOf(v: number): number {
    let lo = 0;
    let hi = this.edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.edges[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
