/**
 * The device loop for stepwise models (forecasters, regressors): sample → clamp → step graph
 * (state carried) → output line → error against the label (a forecaster's prediction at step t
 * meets its label `horizon` samples later) → drift monitor → τ adaptation → selection buffer.
 * Typed buffers are made once; a step allocates only its output line.
 */
import type { HybridModel } from '../../shared/model/model.js';
import { TauAdapter } from '../adapt/tau.js';
import type { InputAdapter, InputCounters, LogLine } from '../adapters/types.js';
import { DriftMonitor } from '../drift/monitor.js';
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
  /** Clamp inputs to mean ± clampStd·std when the model has an input scaling. @defaultValue 10 */
  readonly clampStd?: number;
  readonly adaptTau?: boolean;
  /** Run selection once after this many samples; null = never. */
  readonly selectAfter?: number | null;
  readonly select?: SelectionPlanOptions['select'];
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
  const drift = new DriftMonitor(model.inputs);
  const initialTau = Float64Array.from(session.tau);
  let tau: TauAdapter | null = o.adaptTau ? new TauAdapter(model) : null;
  let reverts = 0;
  const plan =
    o.selectAfter != null
      ? new SelectionPlan(model, {
          after: o.selectAfter,
          horizon: H,
          quant: o.loaded.quant,
          engine: o.engine,
          ...(o.select ? { select: o.select } : {}),
        })
      : null;
  const selections: SelectionRecord[] = [];
  let step = 0;
  for await (const sample of adapter.samples()) {
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
    latency.push((performance.now() - t0) * 1000);
    o.emit?.(stepLine(step, y, sample.t));
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
      err = Math.sqrt(se);
    }
    drift.update(err, x, step);
    if (tau && from >= 0) {
      const xs = pastX.subarray(fromSlot * model.inputs, (fromSlot + 1) * model.inputs);
      const r = tau.observe(xs, pastDt[fromSlot]!, label ?? nanTarget);
      if (r.reverted) reverts++;
      session.setTau(r.tau);
    }
    if (plan) {
      plan.push(x, label, dt);
      if (plan.due) {
        const r = await plan.run(model, session, step).catch((err: unknown) => {
          // a failed selection keeps the running model: the device goes on
          o.log(`selection at step ${step} failed: ${err instanceof Error ? err.message : String(err)}`);
          return null;
        });
        if (!r) {
          step++;
          continue;
        }
        selections.push(r.record);
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
