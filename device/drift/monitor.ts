/**
 * DriftMonitor: one place that watches a running model. The prediction error goes to
 * Page-Hinkley and ADWIN, each input feature to its own PSI detector; detections are collected
 * with a per-detector cooldown so one regime shift yields one event per detector, not a flood.
 *
 * The error fed to the detectors is |error| divided by its RMS over the first `warmupSteps`
 * finite values (when warmupSteps > 0), so the Page-Hinkley δ and λ are in units of the
 * stationary error and the defaults fit any target scale. No detector sees the warm-up values.
 *
 * When the model's own streaming test MSE is known (`testMse`, from its training record or
 * export manifest), that is the scale instead, from the first step: a stream whose error is
 * already growing during the warm-up (a forecast running away) would otherwise set its own,
 * inflated yardstick and never look drifted. The residual detector (residual.ts) then watches
 * the squared error against the test MSE too.
 */
import { Adwin, type AdwinOptions } from './adwin.js';
import { PageHinkley, type PageHinkleyOptions } from './page-hinkley.js';
import { PsiDetector, type PsiOptions } from './psi.js';
import { ResidualDetector, type ResidualOptions } from './residual.js';
import type { DriftDetector, DriftEvent } from './types.js';

export interface DriftMonitorOptions {
  readonly pageHinkley: Partial<PageHinkleyOptions>;
  readonly adwin: Partial<AdwinOptions>;
  readonly psi: Partial<PsiOptions>;
  /** Steps after an event during which the same detector's events are dropped. @defaultValue 500 */
  readonly cooldownSteps: number;
  /** Error values used to fix the error scale; 0 = feed the raw |error|. @defaultValue 100 */
  readonly warmupSteps: number;
  /** Events kept in `events` (oldest dropped first). @defaultValue 1000 */
  readonly maxEvents: number;
  /**
   * The model's streaming test MSE in the target's units; null = unknown (warm-up scale, no
   * residual detector). @defaultValue null
   */
  readonly testMse: number | null;
  readonly residual: Partial<Omit<ResidualOptions, 'testMse'>>;
}

export const DRIFT_MONITOR_DEFAULTS: Readonly<DriftMonitorOptions> = Object.freeze({
  pageHinkley: Object.freeze({}),
  adwin: Object.freeze({}),
  psi: Object.freeze({}),
  cooldownSteps: 500,
  warmupSteps: 100,
  maxEvents: 1000,
  testMse: null,
  residual: Object.freeze({}),
});

const NONE: readonly DriftEvent[] = Object.freeze([]);

export class DriftMonitor {
  readonly options: Readonly<DriftMonitorOptions>;
  readonly pageHinkley: PageHinkley;
  readonly adwin: Adwin;
  /** One PSI detector per input feature, named psi[i]. */
  readonly psi: readonly PsiDetector[];
  /** The residual against the model's test error, when that is known. */
  readonly residual: ResidualDetector | null;
  /** Every event kept so far, oldest first. */
  readonly events: DriftEvent[] = [];
  /** Events dropped by the cooldown. */
  suppressed = 0;
  private readonly detectors: DriftDetector[];
  private readonly lastEvent: Float64Array;
  private warmSum = 0;
  private warmCount = 0;
  private scale = 1;

  constructor(inputs: number, options: Partial<DriftMonitorOptions> = {}) {
    this.options = Object.freeze({ ...DRIFT_MONITOR_DEFAULTS, ...options });
    this.pageHinkley = new PageHinkley(this.options.pageHinkley);
    this.adwin = new Adwin(this.options.adwin);
    this.psi = Array.from({ length: inputs }, (_, i) => new PsiDetector(this.options.psi, `psi[${i}]`));
    const testMse = this.options.testMse;
    this.residual =
      testMse !== null && testMse > 0 && Number.isFinite(testMse)
        ? new ResidualDetector({ ...this.options.residual, testMse })
        : null;
    this.detectors = [this.pageHinkley, this.adwin, ...this.psi, ...(this.residual ? [this.residual] : [])];
    this.lastEvent = new Float64Array(this.detectors.length).fill(-Infinity);
    if (this.residual) this.fixScale();
  }

  /** The test RMS as the error scale, no warm-up. */
  private fixScale(): void {
    this.scale = Math.sqrt(this.residual!.options.testMse);
    this.warmCount = this.options.warmupSteps;
  }

  /** The error scale in use (1 until the warm-up completes, or with warmupSteps 0). */
  get errorScale(): number {
    return this.scale;
  }

  /**
   * Feed one step: the prediction error (prediction − target, any sign; NaN is ignored) and
   * the input row [inputs]. Returns the events of this step (an empty shared array when none).
   */
  update(error: number, input: ArrayLike<number>, step: number): readonly DriftEvent[] {
    let out: DriftEvent[] | null = null;
    const a = Math.abs(error);
    if (this.warmCount < this.options.warmupSteps) {
      if (Number.isFinite(a)) {
        this.warmSum += a * a;
        this.warmCount++;
        if (this.warmCount === this.options.warmupSteps) {
          const rms = Math.sqrt(this.warmSum / this.warmCount);
          this.scale = rms > 0 ? rms : 1;
        }
      }
    } else {
      const v = a / this.scale;
      out = this.keep(0, this.pageHinkley.update(v, step), step, out);
      out = this.keep(1, this.adwin.update(v, step), step, out);
    }
    for (let i = 0; i < this.psi.length; i++)
      out = this.keep(2 + i, this.psi[i]!.update(input[i]!, step), step, out);
    if (this.residual) out = this.keep(2 + this.psi.length, this.residual.update(error, step), step, out);
    return out ?? NONE;
  }

  /** Record event e of detector k unless it is cooling down; the step's event list. */
  private keep(k: number, e: DriftEvent | null, step: number, out: DriftEvent[] | null): DriftEvent[] | null {
    if (!e) return out;
    if (step - this.lastEvent[k]! < this.options.cooldownSteps) {
      this.suppressed++;
      return out;
    }
    this.lastEvent[k] = step;
    this.events.push(e);
    if (this.events.length > this.options.maxEvents) this.events.shift();
    if (out) {
      out.push(e);
      return out;
    }
    return [e];
  }

  /** Every detector's state, keyed by detector name. */
  state(): Record<string, Record<string, number>> {
    const s: Record<string, Record<string, number>> = {};
    for (const d of this.detectors) s[d.name] = d.state();
    return s;
  }

  reset(): void {
    for (const d of this.detectors) d.reset();
    this.lastEvent.fill(-Infinity);
    this.events.length = 0;
    this.suppressed = 0;
    this.warmSum = 0;
    this.warmCount = 0;
    this.scale = 1;
    if (this.residual) this.fixScale();
  }
}
