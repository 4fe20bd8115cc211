/**
 * The residual detector: an exponentially weighted mean of the squared residual, normalised by
 * the model's own streaming test MSE (what `train` measured on held-out rows, state carried),
 *
 *     s_t = (1 − α)·s_{t−1} + α·(e_t² / testMse)
 *
 * which sits near 1 while the model errs as it did in testing. Drift when s_t > threshold.
 * Unlike Page-Hinkley and ADWIN on a warm-up-normalised error, it needs no warm-up on the
 * stream itself, so a forecast that runs away from the first step is still caught: an error
 * tenfold the test RMS (s → 100) crosses the default threshold within a handful of steps, while
 * a single 10-RMS outlier moves s by only α·100 = 5.
 */
import type { DriftDetector, DriftEvent } from './types.js';

export interface ResidualOptions {
  /** The model's streaming test MSE, in the target's units. */
  readonly testMse: number;
  /** EWMA weight of the newest squared residual. @defaultValue 0.05 */
  readonly alpha: number;
  /** Drift when the EWMA of e²/testMse exceeds this (4× the test RMS). @defaultValue 16 */
  readonly threshold: number;
  /** Finite residuals seen before a detection is allowed. @defaultValue 5 */
  readonly minInstances: number;
}

export const RESIDUAL_DEFAULTS = Object.freeze({ alpha: 0.05, threshold: 16, minInstances: 5 });

export class ResidualDetector implements DriftDetector {
  readonly name = 'residual';
  readonly options: Readonly<ResidualOptions>;
  private ewma = 1;
  private seen = 0;
  private ignored = 0;

  constructor(options: Partial<ResidualOptions> & { testMse: number }) {
    this.options = Object.freeze({ ...RESIDUAL_DEFAULTS, ...options });
  }

  /** value: the residual (prediction − label) in the target's units; NaN is ignored. */
  update(value: number, step: number): DriftEvent | null {
    // NaN is a missing value; ±Infinity is a forecast that ran away
    if (Number.isNaN(value)) {
      this.ignored++;
      return null;
    }
    const { alpha, threshold, minInstances, testMse } = this.options;
    const r = (value * value) / testMse;
    // a residual too large to square finitely is as far past the threshold as it gets
    this.ewma = (1 - alpha) * this.ewma + alpha * (Number.isFinite(r) ? r : Number.MAX_VALUE);
    this.seen++;
    if (this.seen < minInstances || !(this.ewma > threshold)) return null;
    const event = { step, detector: this.name, statistic: this.ewma, threshold, state: this.state() };
    // restart from "as tested": a lasting shift fires again once the cooldown allows
    this.ewma = 1;
    this.seen = 0;
    return event;
  }

  state(): Record<string, number> {
    return { ewma: this.ewma, seen: this.seen, ignored: this.ignored, test_mse: this.options.testMse };
  }

  reset(): void {
    this.ewma = 1;
    this.seen = 0;
    this.ignored = 0;
  }
}
