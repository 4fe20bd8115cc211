/**
 * On-device selection inside the loop: every sample goes into a SampleBuffer (labels arrive
 * `horizon` pushes later for a forecaster), and once the buffer has seen `after` samples the
 * selection runs once (device/select), the step graph is rebuilt from the selected model and
 * swapped into the running session with its state kept.
 */
import type { HybridModel } from '../../shared/model/model.js';
import type { Quantization } from '../../shared/types/profile.js';
import { SampleBuffer } from '../select/buffer.js';
import { type SelectOptions, selectOnDevice } from '../select/select.js';
import { rebuildSession } from '../select/session.js';
import type { EngineInfo } from './engine-start.js';
import type { StepSession } from './step-session.js';

export interface SelectionRecord {
  /** Step at which the selection ran. */
  readonly step: number;
  /** Wall time of the search and of the graph rebuild, ms. */
  readonly ms: number;
  readonly rebuild_ms: number;
  readonly installed: boolean;
  readonly skipped?: string;
  readonly layers: {
    readonly layer: number;
    readonly before: string;
    readonly after: string;
    readonly loss_before: number | null;
    readonly loss_after: number | null;
  }[];
}

export interface SelectionPlanOptions {
  /** Samples to collect before selecting. */
  readonly after: number;
  /** Rows the buffer holds. @defaultValue max(after, 64) */
  readonly capacity?: number;
  readonly horizon: number;
  readonly quant: Quantization;
  readonly engine: EngineInfo;
  readonly select?: Partial<SelectOptions>;
}

const finite = (v: number) => (Number.isFinite(v) ? v : null);

export class SelectionPlan {
  readonly buffer: SampleBuffer;
  private readonly o: SelectionPlanOptions;
  private seen = 0;
  done = false;

  constructor(model: HybridModel, o: SelectionPlanOptions) {
    this.o = o;
    this.buffer = new SampleBuffer(o.capacity ?? Math.max(o.after, 64), model.inputs, model.outputs);
  }

  /** Records one sample; `label` is the target observed now (for the row `horizon` pushes ago). */
  push(x: Float64Array, label: Float64Array | null, dt: number): void {
    const H = this.o.horizon;
    this.buffer.push(x, H === 0 ? label : null, dt);
    if (H > 0 && label && this.buffer.size > H) this.buffer.labelAgo(H, label);
    this.seen++;
  }

  get due(): boolean {
    return !this.done && this.seen >= this.o.after;
  }

  /** Runs the selection; installs the new graph into `session` when the search installed one. */
  async run(
    model: HybridModel,
    session: StepSession,
    step: number,
  ): Promise<{ model: HybridModel; record: SelectionRecord }> {
    this.done = true;
    const r = selectOnDevice(model, this.buffer, this.o.select ?? {});
    let rebuildMs = 0;
    if (r.report.installed) {
      const t0 = performance.now();
      const next = await rebuildSession(r.model, this.o.quant, this.o.engine.name, this.o.engine.threads);
      await session.swap(next);
      rebuildMs = performance.now() - t0;
    }
    const record: SelectionRecord = {
      step,
      ms: r.report.ms,
      rebuild_ms: rebuildMs,
      installed: r.report.installed,
      ...(r.report.skipped ? { skipped: r.report.skipped } : {}),
      layers: r.report.layers.map((l) => ({
        layer: l.layer,
        before: l.before,
        after: l.after,
        loss_before: finite(l.lossBefore),
        loss_after: finite(l.lossAfter),
      })),
    };
    return { model: r.report.installed ? r.model : model, record };
  }
}
