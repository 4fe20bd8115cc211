/**
 * The model run under the sync agent: the step loop of device/runtime on one input that stays
 * open across model switches. When a model release installs (or a rollback happens) the agent
 * calls restart(): the run ends at the next sample and starts again on the model the slot now
 * points at, going on with the input where it was. The model comes from the model slot's active
 * directory when there is one, else from --model; one that fails to start is skipped for the
 * next (the device keeps running the model it can run).
 */
import { InputError } from '../../shared/errors.js';
import type { InputAdapter, Sample } from '../adapters/types.js';
import type { LoopControl, RunObserver } from '../runtime/loop.js';
import {
  type DeviceRunOptions,
  horizonFor,
  type OpenedInput,
  openInput,
  runStarted,
  type StartedModel,
  startModel,
} from '../runtime/run.js';
import type { DeviceSummary } from '../runtime/summary.js';
import { SampleBuffer } from '../select/buffer.js';
import { SharedStream } from './input.js';

/** The run options of runDevice, with the model optional (a slot may provide it). */
export type AgentRunOptions = Omit<DeviceRunOptions, 'model' | 'observer' | 'signal' | 'control'> & {
  readonly model?: string;
};

export interface ModelRunnerOptions {
  readonly run: AgentRunOptions;
  /** Directories to try, in order (the model slot's active one, then --model). */
  readonly candidates: () => readonly string[];
  readonly observer: RunObserver;
  readonly control: LoopControl;
  /** Recent samples kept for health checks. @defaultValue 256 */
  readonly recentSamples?: number;
  /** A run is starting on `started` from `dir`. */
  readonly onStart?: (started: StartedModel, dir: string) => void;
  readonly log: (line: string) => void;
}

export interface RunningModel {
  readonly dir: string;
  readonly started: StartedModel;
}

/** One summary for a run that switched models: totals over all parts, figures of the last. */
export function mergeSummaries(parts: readonly DeviceSummary[]): DeviceSummary {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const last = parts.at(-1)!;
  let offset = 0;
  const selections: DeviceSummary['selections'] = [];
  const drift: DeviceSummary['drift_events'] = [];
  for (const p of parts) {
    for (const s of p.selections) selections.push({ ...s, step: s.step + offset });
    for (const d of p.drift_events) drift.push({ ...d, step: d.step + offset });
    offset += p.steps;
  }
  return {
    ...last,
    steps: offset,
    selections,
    drift_events: drift,
    tau: {
      adapted: parts.some((p) => p.tau.adapted),
      initial: first.tau.initial,
      final: last.tau.final,
      reverts: parts.reduce((n, p) => n + p.tau.reverts, 0),
    },
    ...(parts.some((p) => p.clips !== undefined)
      ? { clips: parts.reduce((n, p) => n + (p.clips ?? 0), 0) }
      : {}),
  };
}

export class ModelRunner {
  /** The model running now, if any. */
  current: RunningModel | null = null;
  /** Recent input samples (step models only), for health checks of new models. */
  recent: SampleBuffer | null = null;
  /** The input's shape, fixed by the first model that ran. */
  shape: { inputs: number; outputs: number } | null = null;
  /** Samples between a prediction and its label, for the running model. */
  horizon = 0;
  /** Steps of the runs that have ended (so step numbers keep counting across switches). */
  stepOffset = 0;
  /** τ adaptation for the next run (a `desired` setting); undefined = the run options'. */
  adaptTau: boolean | undefined = undefined;
  private input: {
    opened: OpenedInput;
    view: (signal: AbortSignal) => OpenedInput;
    ended: () => boolean;
  } | null = null;
  private abort: AbortController | null = null;
  private stopped = false;
  /** A restart() that came while a model was starting: it read the candidates before the change. */
  private restartPending = false;

  constructor(private readonly o: ModelRunnerOptions) {}

  /** End the current run at the next sample and start again on the current model directory. */
  restart(why: string): void {
    if (this.stopped) return;
    this.o.log(`restarting the model run: ${why}`);
    if (this.current) this.abort?.abort();
    else this.restartPending = true;
  }

  /** End the run for good (the input stays unread). */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async startNext(): Promise<RunningModel> {
    const dirs = this.o.candidates();
    if (dirs.length === 0) {
      throw new InputError(
        'no model to run: pass --model, or install a model release into the data directory',
      );
    }
    let last: unknown;
    for (const dir of dirs) {
      try {
        const started = await startModel({ ...this.o.run, model: dir, log: this.o.log });
        const m = started.loaded.manifest.model;
        if (this.shape && (m.inputs !== this.shape.inputs || m.outputs !== this.shape.outputs)) {
          await started.session.release();
          throw new InputError(
            `${dir}: takes ${m.inputs} inputs and gives ${m.outputs} outputs, the input has ${this.shape.inputs} and ${this.shape.outputs}`,
          );
        }
        return { dir, started };
      } catch (err) {
        last = err;
        if (dirs.length > 1) this.o.log(`model ${dir} not started: ${(err as Error).message}`);
      }
    }
    throw last;
  }

  private async open(started: StartedModel, dir: string): Promise<void> {
    const opened = await openInput({ ...this.o.run, model: dir }, started.loaded);
    const m = started.loaded.manifest.model;
    this.shape = { inputs: m.inputs, outputs: m.outputs };
    if (opened.format === 'wav') {
      const clipsIn = opened.adapter;
      const clips = new SharedStream(() => clipsIn.clips());
      this.input = {
        opened,
        ended: () => clips.ended,
        view: (signal) => ({ ...opened, adapter: { ...clipsIn, clips: () => clips.view(signal) } }),
      };
      return;
    }
    const recent = new SampleBuffer(this.o.recentSamples ?? 256, m.inputs, m.outputs);
    this.recent = recent;
    const dtDefault = started.loaded.model.dtDefault;
    const stepsIn = opened.adapter;
    // adapters hand out finite rows of the model's width; a bad Δt falls back to the default
    // rather than throwing inside the input stream
    const tap = (s: Sample) =>
      recent.push(
        s.x,
        s.y?.length === m.outputs ? s.y : null,
        s.dt !== null && s.dt > 0 && Number.isFinite(s.dt) ? s.dt : dtDefault,
      );
    const samples = new SharedStream(() => stepsIn.samples(), { tap });
    this.input = {
      opened,
      ended: () => samples.ended,
      view: (signal) => {
        const adapter: InputAdapter = {
          kind: stepsIn.kind,
          expectedSamples: stepsIn.expectedSamples,
          samples: () => samples.view(signal),
        };
        return { ...opened, adapter };
      },
    };
  }

  /** Run until the input ends or stop(), switching models on restart(). */
  async run(): Promise<DeviceSummary> {
    const parts: DeviceSummary[] = [];
    do {
      this.restartPending = false;
      let next = await this.startNext();
      if (!this.input) {
        try {
          await this.open(next.started, next.dir);
        } catch (err) {
          await next.started.session.release();
          throw err;
        }
      }
      // an install finished while the model was loading: load the new one before any sample
      while (this.restartPending && !this.stopped) {
        this.restartPending = false;
        await next.started.session.release();
        next = await this.startNext();
      }
      const { dir, started } = next;
      this.abort = new AbortController();
      if (this.stopped) this.abort.abort();
      this.current = { dir, started };
      this.horizon = horizonFor(started.loaded, this.o.run);
      this.o.onStart?.(started, dir);
      try {
        const summary = await runStarted(started, this.input!.view(this.abort.signal), {
          ...this.o.run,
          ...(this.adaptTau !== undefined ? { adaptTau: this.adaptTau } : {}),
          model: dir,
          observer: this.o.observer,
          control: this.o.control,
        });
        parts.push(summary);
        this.stepOffset += summary.steps;
      } finally {
        this.current = null;
        await started.session.release();
      }
    } while (!this.stopped && !this.input!.ended());
    return mergeSummaries(parts);
  }
}
