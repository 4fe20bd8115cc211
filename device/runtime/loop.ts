/**
 * The device loop for stepwise models (forecasters, regressors): sample → clamp → step graph
 * (state carried) → output line → error against the label (a forecaster's prediction at step t
 * meets its label `horizon` samples later) → drift monitor → τ adaptation → selection buffer.
 * Typed buffers are made once; a step allocates only its output line.
 *
 * A caller that lives beside the loop (the fleet sync agent) gets three optional handles: an
 * observer told of steps, drift events, selections and periodic performance windows; a control
 * object it may set between steps (reselect now, reset τ, offer extra library entries); and an
 * abort signal that ends the run at the next sample as if the input had ended.
 */
import type { ActivationLibrary } from '../../shared/library/library.js';
import type { HybridModel } from '../../shared/model/model.js';
import { TauAdapter } from '../adapt/tau.js';
import type { InputAdapter, InputCounters, LogLine, Sample } from '../adapters/types.js';
import { DriftMonitor } from '../drift/monitor.js';
import type { DriftEvent } from '../drift/types.js';
import type { LayerHungerSignal } from '../select/hunger.js';
import { ABORTED, raceAbort } from './abort.js';
import type { LoadedModel } from './bundle.js';
import type { EngineInfo, LatencyFigures } from './engine-start.js';
import { SelectionPlan, type SelectionPlanOptions, type SelectionRecord } from './selection.js';
import { ErrorLog, Reservoir, summarise } from './stats.js';
import type { StepSession } from './step-session.js';
import { type DeviceSummary, driftRecord, stepLine } from './summary.js';

export interface LoopOptions {
  readonly loaded: LoadedModel;
  readonly session: StepSession;
  readonly engine: EngineInfo;
  readonly calibration: LatencyFigures | null;
  readonly counters: InputCounters;
  /** Per-step output lines; null = quiet. */
  readonly emit: ((line: string) => void) | null;
  readonly log: LogLine;
  /** Samples a forecaster's label arrives after its prediction. @defaultValue 0 */
  readonly horizon?: number;
  /** The model's streaming test MSE: the drift monitor's residual scale. @defaultValue unknown */
  readonly testMse?: number | null;
  /** Clamp inputs to mean ± clampStd·std when the model has an input scaling. @defaultValue 10 */
  readonly clampStd?: number;
  readonly adaptTau?: boolean;
  /** Run selection once after this many samples; null = never. */
  readonly selectAfter?: number | null;
  readonly select?: SelectionPlanOptions['select'];
  /** Told of what the run does; a throw from a hook ends the run with that error. */
  readonly observer?: RunObserver;
  /**
   * Ends the run at the next sample, with the summary so far. A pull from the adapter that is
   * pending when the signal fires is abandoned, not cancelled: give an adapter whose iterator
   * hands a pending pull to the next caller (device/sync/input.ts) so no sample is lost.
   */
  readonly signal?: AbortSignal;
  /** Requests the caller may set between steps; the loop clears each flag when it acts on it. */
  readonly control?: LoopControl;
}

/** One performance window (`tel/perf`): the steps run since the previous window. */
export interface PerfWindow {
  /** Median and 99th-percentile step latency in the window, µs. */
  readonly p50Us: number;
  readonly p99Us: number;
  readonly steps: number;
  /** Mean squared error of the labelled steps in the window; null without labels. */
  readonly mse: number | null;
  /** Mean τ over neurons at the end of the window; null for a model without liquid state. */
  readonly tauMean: number | null;
  /** Wall time the window covers, ms. */
  readonly durationMs: number;
}

export interface RunObserver {
  /** After each step, with the step's outputs (valid until the next step). */
  onStep?(step: number, y: Float64Array): void;
  onDrift?(event: DriftEvent): void;
  /** After each selection: its record, the hunger signals it found, and the model it searched. */
  onSelection?(record: SelectionRecord, hunger: readonly LayerHungerSignal[], searched: HybridModel): void;
  /** Every `control.windowMs` of wall time, and once for the last partial window. */
  onWindow?(window: PerfWindow): void;
}

export interface LoopControl {
  /** Run a selection at the next step (DESIGN `cmd/reselect`). */
  reselect: boolean;
  /** Put τ back to the model's initial values (DESIGN `cmd/τ reset`). */
  tauReset: boolean;
  /** Entries offered to every selection besides each layer's own candidates (a newer library). */
  library: ActivationLibrary | null;
  /** Performance window length, ms. @defaultValue no windows */
  windowMs: number | null;
  /** Rows the selection buffer keeps when no automatic selection is planned. @defaultValue 1024 */
  readonly bufferRows?: number;
}

/** The items of `source` until `signal` fires; the source's iterator is never closed here. */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  while (!signal.aborted) {
    const r = await raceAbort(it.next(), signal);
    if (r === ABORTED || r.done) return;
    yield r.value;
  }
}

/** Latency, error and step counts of the current performance window. */
class WindowStats {
  readonly latency = new Reservoir(4096);
  readonly start = performance.now();
  steps = 0;
  se = 0;
  labelled = 0;

  close(tau: Float32Array): PerfWindow {
    const [p50, p99] = this.latency.percentiles([50, 99]);
    return {
      p50Us: p50!,
      p99Us: p99!,
      steps: this.steps,
      mse: this.labelled ? this.se / this.labelled : null,
      tauMean: tau.length ? (summarise(tau)?.mean ?? null) : null,
      durationMs: performance.now() - this.start,
    };
  }
}

/** Clamp bounds per input, or null when the model has no input scaling. */
function clampBounds(model: HybridModel, k: number): { lo: Float64Array; hi: Float64Array } | null {
  const s = model.scaling;
  if (!s) return null;
  const lo = Float64Array.from(s.inputMean, (m, i) => m - k * s.inputStd[i]!);
  const hi = Float64Array.from(s.inputMean, (m, i) => m + k * s.inputStd[i]!);
  return { lo, hi };
}

export async function runLoop(adapter: InputAdapter, o: LoopOptions): Promise<DeviceSummary> {
  let model = o.loaded.model;
  const { session, counters } = o;
  const outputs = model.outputs;
  const H = o.horizon ?? 0;
  const bounds = clampBounds(model, o.clampStd ?? 10);
  const x = new Float64Array(model.inputs);
  // predictions and inputs of the last H + 1 steps, for labels that arrive H samples later
  const preds = new Float64Array((H + 1) * outputs);
  const pastX = new Float64Array((H + 1) * model.inputs);
  const pastDt = new Float64Array(H + 1);
  const nanTarget = new Float64Array(outputs).fill(Number.NaN);
  const latency = new Reservoir();
  const errors = new ErrorLog();
  const drift = new DriftMonitor(model.inputs, { testMse: o.testMse ?? null });
  const initialTau = Float64Array.from(session.tau);
  let tau: TauAdapter | null = o.adaptTau ? new TauAdapter(model) : null;
  let reverts = 0;
  const control = o.control;
  // with a control object the buffer always fills, so a requested selection has data to use
  const plan =
    o.selectAfter != null || control
      ? new SelectionPlan(model, {
          after: o.selectAfter ?? Number.POSITIVE_INFINITY,
          ...(o.selectAfter == null ? { capacity: control?.bufferRows ?? 1024 } : {}),
          horizon: H,
          quant: o.loaded.quant,
          engine: o.engine,
          ...(o.select ? { select: o.select } : {}),
        })
      : null;
  const selections: SelectionRecord[] = [];
  const observer = o.observer;
  let window = observer?.onWindow ? new WindowStats() : null;
  let step = 0;
  const samples: AsyncIterable<Sample> = o.signal
    ? untilAborted(adapter.samples(), o.signal)
    : adapter.samples();
  for await (const sample of samples) {
    for (let i = 0; i < x.length; i++) {
      let v = sample.x[i]!;
      if (bounds && (v < bounds.lo[i]! || v > bounds.hi[i]!)) {
        v = v < bounds.lo[i]! ? bounds.lo[i]! : bounds.hi[i]!;
        counters.clamped++;
      }
      x[i] = v;
    }
    const dt = sample.dt ?? model.dtDefault;
    const t0 = performance.now();
    const y = await session.step(x, dt);
    const us = (performance.now() - t0) * 1000;
    latency.push(us);
    o.emit?.(stepLine(step, y, sample.t));
    observer?.onStep?.(step, y);
    const slot = step % (H + 1);
    preds.set(y, slot * outputs);
    pastX.set(x, slot * model.inputs);
    pastDt[slot] = dt;
    // the prediction this label scores: made H steps ago
    const label = sample.y;
    let err = Number.NaN;
    const from = step - H;
    const fromSlot = ((from % (H + 1)) + H + 1) % (H + 1);
    if (label && from >= 0) {
      let se = 0;
      for (let j = 0; j < outputs; j++) se += (preds[fromSlot * outputs + j]! - label[j]!) ** 2;
      se /= outputs;
      errors.push(from, se);
      // a non-finite forecast is the largest error there is, not a missing one
      err = Number.isNaN(se) ? Number.POSITIVE_INFINITY : Math.sqrt(se);
      if (window) {
        window.se += se;
        window.labelled++;
      }
    }
    const events = drift.update(err, x, step);
    if (observer?.onDrift) for (const e of events) observer.onDrift(e);
    if (control?.tauReset) {
      control.tauReset = false;
      session.setTau(initialTau);
      if (tau) tau = new TauAdapter(model);
      o.log(`τ reset to the model's values at step ${step}`);
    }
    if (tau && from >= 0) {
      const xs = pastX.subarray(fromSlot * model.inputs, (fromSlot + 1) * model.inputs);
      const r = tau.observe(xs, pastDt[fromSlot]!, label ?? nanTarget);
      if (r.reverted) reverts++;
      session.setTau(r.tau);
    }
    if (window) {
      window.latency.push(us);
      window.steps++;
      if (control?.windowMs != null && performance.now() - window.start >= control.windowMs) {
        observer!.onWindow!(window.close(session.tau));
        window = new WindowStats();
      }
    }
    if (plan) {
      plan.push(x, label, dt);
      if (control?.reselect) {
        control.reselect = false;
        plan.request();
      }
      if (plan.due) {
        const r = await plan.run(model, session, step, control?.library ?? null).catch((err: unknown) => {
          // a failed selection keeps the running model: the device goes on
          o.log(`selection at step ${step} failed: ${err instanceof Error ? err.message : String(err)}`);
          return null;
        });
        if (!r) {
          step++;
          continue;
        }
        selections.push(r.record);
        observer?.onSelection?.(r.record, r.hunger, r.searched);
        o.log(
          `selection at step ${step}: ${r.record.installed ? 'installed' : 'kept the model'} in ${r.record.ms.toFixed(0)} ms` +
            (r.record.skipped ? ` (${r.record.skipped})` : ''),
        );
        if (r.model !== model) {
          model = r.model;
          if (tau) {
            // carry the adapted τ over to the reselected model instead of restarting from the
            // trained one; the adapter's own state warms up within its warm-up steps
            const adapted = tau.tau;
            tau = new TauAdapter(model);
            tau.sensitivity.setTau(adapted);
            session.setTau(adapted);
          }
        }
      }
    }
    step++;
  }
  if (window && window.steps > 0) observer!.onWindow!(window.close(session.tau));
  const halves = errors.halves(step / 2);
  const [p50, p99] = latency.percentiles([50, 99]);
  return {
    steps: step,
    mse_first_half: errors.count ? halves.first : null,
    mse_second_half: errors.count ? halves.second : null,
    selections,
    tau: {
      adapted: o.adaptTau === true,
      initial: summarise(initialTau),
      final: summarise(session.tau),
      reverts,
    },
    drift_events: drift.events.map(driftRecord),
    residual_test_mse: drift.residual?.options.testMse ?? null,
    latency_us: { p50: p50!, p99: p99!, calibration: o.calibration },
    skipped_samples: {
      total: counters.nonFinite + counters.malformed,
      non_finite: counters.nonFinite,
      malformed: counters.malformed,
    },
    clamped_values: counters.clamped,
    engine: { ...o.engine, quant: o.loaded.quant, profile: o.loaded.profile.name },
  };
}
