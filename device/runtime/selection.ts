/**
 * On-device selection inside the loop: every sample goes into a SampleBuffer (labels arrive
 * `horizon` pushes later for a forecaster), and once the buffer has seen `after` samples the
 * selection runs once (device/select), the step graph is rebuilt from the selected model and
 * swapped into the running session with its state kept. A caller may ask for another run at any
 * time (request()), optionally offering a newer library's entries as extra candidates.
 */
import { type ActivationLibrary, makeLibrary } from '../../shared/library/library.js';
import { cloneModel, type HybridModel, param } from '../../shared/model/model.js';
import type { Quantization } from '../../shared/types/profile.js';
import { SampleBuffer } from '../select/buffer.js';
import type { LayerHungerSignal } from '../select/hunger.js';
import { type SelectOptions, selectOnDevice } from '../select/select.js';
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

/**
 * The model with every entry of `library` it lacks added to each layer's candidates: appended
 * after the existing ones, at the entry's natural affine, with a logit so far below the others
 * that a soft mixture gives it no weight (or, in a hard layer whose logits are all equal, the same
 * logit, so the layer still carries no mixture). The model's outputs are unchanged; a selection
 * can now pick the new entries. Returns the model itself when nothing is new.
 */
export function withLibraryCandidates(model: HybridModel, library: ActivationLibrary): HybridModel {
  const known = new Set(model.library.entries.map((e) => e.id));
  const added = model.layers.map((l) => library.entries.filter((e) => !l.selector.candidates.includes(e.id)));
  if (added.every((a) => a.length === 0)) return model;
  const merged = makeLibrary(
    [...model.library.entries, ...library.entries.filter((e) => !known.has(e.id))],
    Math.max(model.library.version, library.version),
  );
  const layers = model.layers.map((l, i) => ({
    ...l,
    selector: { ...l.selector, candidates: [...l.selector.candidates, ...added[i]!.map((e) => e.id)] },
  }));
  const out = cloneModel(model, { layers, library: merged });
  model.layers.forEach((l, i) => {
    const extra = added[i]!;
    if (extra.length === 0) return;
    const logits = param(model, `L${i}.logits`);
    const affine = param(model, `L${i}.affine`);
    const K = logits.length;
    const nextLogits = new Float64Array(K + extra.length);
    nextLogits.set(logits);
    // a hard layer whose logits are all equal carries no mixture (select/hunger.ts carriesMixture):
    // keep it so; otherwise the new entries get no weight in the mixture
    const flat = l.selector.mode === 'hard' && logits.every((v) => v === logits[0]);
    const floor = flat ? logits[0]! : Math.min(...logits) - 1e4 * Math.max(1, l.selector.temperature);
    nextLogits.fill(floor, K);
    const nextAffine = new Float64Array((K + extra.length) * 4);
    nextAffine.set(affine);
    for (const [j, e] of extra.entries()) {
      nextAffine.set([e.natural.a, e.natural.b, e.natural.c, e.natural.d], (K + j) * 4);
    }
    out.params.set(`L${i}.logits`, nextLogits);
    out.params.set(`L${i}.affine`, nextAffine);
  });
  return out;
}

export class SelectionPlan {
  readonly buffer: SampleBuffer;
  private readonly o: SelectionPlanOptions;
  private seen = 0;
  private requested = false;
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
    return this.requested || (!this.done && this.seen >= this.o.after);
  }

  /** Select at the next chance, whatever `after` says (e.g. on a `cmd/reselect`). */
  request(): void {
    this.requested = true;
  }

  /**
   * Runs the selection, with `library`'s entries as extra candidates when given; installs the
   * new graph into `session` when the search installed one. `searched` is the model the search
   * ran on (with the extra candidates).
   */
  async run(
    model: HybridModel,
    session: StepSession,
    step: number,
    library: ActivationLibrary | null = null,
  ): Promise<{
    model: HybridModel;
    record: SelectionRecord;
    hunger: readonly LayerHungerSignal[];
    searched: HybridModel;
  }> {
    this.done = true;
    this.requested = false;
    const searched = library ? withLibraryCandidates(model, library) : model;
    const r = selectOnDevice(searched, this.buffer, this.o.select ?? {});
    let rebuildMs = 0;
    if (r.report.installed) {
      const t0 = performance.now();
      // the graph writer (and its protobuf library) is loaded on the first installed selection
      const { rebuildSession } = await import('../select/session.js');
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
    return { model: r.report.installed ? r.model : model, record, hunger: r.report.hunger, searched };
  }
}
