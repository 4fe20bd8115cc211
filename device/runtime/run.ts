/**
 * `runDevice()`: the whole device run as a library call — load and verify the model for the
 * profile, start the engine, calibrate the step latency against the budget, open the input and
 * loop until it ends. The CLI (cli/commands/device.ts) only maps flags onto these options.
 *
 * The three steps are exported on their own (startModel, openInput, runStarted) for the fleet
 * sync agent, which keeps one input open across model switches.
 */

import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { DEVICE_CLIP_HOP_MS } from '../../shared/audio/clip-stream.js';
import type { Detection, DetectorOptions } from '../../shared/audio/detection.js';
import { InputError } from '../../shared/errors.js';
import type { DetectorSetting } from '../../shared/types/manifest.js';
import type { FirmwareProfile, Quantization } from '../../shared/types/profile.js';
import { csvAdapter } from '../adapters/csv.js';
import { jsonlAdapter } from '../adapters/jsonl.js';
import { detectFormat, openSource } from '../adapters/source.js';
import type { ClipAdapter, InputAdapter, InputCounters } from '../adapters/types.js';
import { newCounters } from '../adapters/types.js';
import { wavAdapter } from '../adapters/wav.js';
import { checkSizeBudget, type LoadedModel, loadForDevice } from './bundle.js';
import { runClipLoop } from './clip-loop.js';
import {
  type BudgetReport,
  checkLatencyBudget,
  type EngineChoice,
  type EngineInfo,
  type LatencyFigures,
  startEngine,
  withRunLatency,
} from './engine-start.js';
import { type LoopControl, type RunObserver, runLoop, untilAborted } from './loop.js';
import { StepSession } from './step-session.js';
import type { DeviceSummary } from './summary.js';

export interface DeviceRunOptions {
  /** Bundle directory or trained model directory. */
  readonly model: string;
  readonly profile: FirmwareProfile;
  /** Precision when `model` is a model directory. @defaultValue the profile's default */
  readonly quant?: Quantization;
  /** @defaultValue 'auto' (the profile's engine order) */
  readonly engine?: EngineChoice;
  /** @defaultValue the profile's threads */
  readonly threads?: number;
  /** File path or '-' for stdin. */
  readonly input: string;
  /** @defaultValue 'auto' */
  readonly format?: 'csv' | 'jsonl' | 'wav' | 'auto';
  /** Label columns of a CSV (one per output). */
  readonly target?: readonly string[] | null;
  /** CSV replay rate, rows per second; 0 = as fast as possible. @defaultValue 0 */
  readonly rateHz?: number;
  /** Forecast horizon in samples. @defaultValue the training record's horizon when --target is its target, else 0 */
  readonly horizon?: number | null;
  /** @defaultValue on for a forecaster with labels */
  readonly adaptTau?: boolean | null;
  /** Select once after this many samples (null = off; 0 = midpoint of a CSV file, else 256). */
  readonly selectAfter?: number | null;
  /** Selection wall-clock budget, ms. @defaultValue 1000 */
  readonly selectBudgetMs?: number;
  /**
   * Refuse a model that can never meet the profile's step latency budget (a repeated wide miss on
   * a quiet calibration); a plain miss is reported, never refused. @defaultValue true
   */
  readonly latencyCheck?: boolean;
  /**
   * Milliseconds between voice clips. @defaultValue the hop the model's detector setting was
   * chosen at, else DEVICE_CLIP_HOP_MS
   */
  readonly clipHopMs?: number;
  readonly classes?: readonly string[] | null;
  /** Voice models: the keyword detector's threshold, smoothing and refractory time. */
  readonly detector?: Omit<DetectorOptions, 'classes'>;
  /** Voice models: print a line per clip besides the detections. @defaultValue false */
  readonly clipLines?: boolean;
  /** Voice models: called with every detection. */
  readonly onDetection?: (d: Detection) => void;
  /** Output lines (null = quiet) and log lines. */
  readonly emit: ((line: string) => void) | null;
  readonly log: (line: string) => void;
  readonly stdin?: Readable;
  /** Hooks into the step loop (not called for voice clips). */
  readonly observer?: RunObserver;
  /** Ends the run at the next sample (or clip) with the summary so far. */
  readonly signal?: AbortSignal;
  /** Requests between steps (see LoopControl). */
  readonly control?: LoopControl;
}

/** A model loaded, started on an engine and calibrated. */
export interface StartedModel {
  readonly loaded: LoadedModel;
  readonly session: StepSession;
  readonly info: EngineInfo;
  readonly calibration: LatencyFigures;
  /** The profile's step latency budget against the calibration. */
  readonly budget: BudgetReport;
}

/** The input, opened once for a model's shape. */
export type OpenedInput =
  | { readonly format: 'wav'; readonly adapter: ClipAdapter; readonly counters: InputCounters }
  | {
      readonly format: 'csv' | 'jsonl';
      readonly adapter: InputAdapter;
      readonly counters: InputCounters;
      /** Rows of a CSV file, when known (for the midpoint selection). */
      readonly rows: number | null;
    };

export type StartModelOptions = Pick<
  DeviceRunOptions,
  'model' | 'profile' | 'quant' | 'engine' | 'threads' | 'latencyCheck' | 'log'
>;

/** Data rows of a CSV file (non-empty, non-comment lines less a header), for the midpoint. */
function countRows(file: string): number {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = lines.length > 0 && /[a-df-z_]/i.test(lines[0]!.replace(/nan|inf/gi, ''));
  return lines.length - (header ? 1 : 0);
}

/** Load, verify and start a model; refused over the profile's size or latency budget. */
export async function startModel(o: StartModelOptions): Promise<StartedModel> {
  const loaded = await loadForDevice(o.model, { profile: o.profile, ...(o.quant ? { quant: o.quant } : {}) });
  checkSizeBudget(loaded.stepBytes.length, o.profile, loaded.quant);
  const { session: engineSession, info } = await startEngine(loaded, {
    engine: o.engine ?? 'auto',
    profile: o.profile,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  for (const f of info.fallbacks) o.log(`engine ${f.engine} not used: ${f.reason}`);
  const session = new StepSession(engineSession, loaded.manifest.model, loaded.manifest.tau.default);
  try {
    const budget = await checkLatencyBudget(session, loaded.model.dtDefault, o.profile, info.name, {
      refuse: o.latencyCheck !== false,
    });
    const calibration = budget.calibration;
    if (budget.status === 'over') {
      o.log(
        `step latency p50 ${calibration.p50.toFixed(1)} µs on the ${info.name} engine is over profile '${o.profile.name}' stepLatencyBudgetUs ${o.profile.stepLatencyBudgetUs} after ${budget.calibrations} calibrations; running anyway and reporting it`,
      );
    }
    const figures = (info.candidates ?? [])
      .filter((c) => c.p50Us !== undefined)
      .map((c) => `${c.engine} ${c.p50Us!.toFixed(1)} µs`)
      .join(', ');
    o.log(
      `running ${loaded.source === 'bundle' ? 'bundle' : 'model directory'} ${o.model} on ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'}, ${loaded.quant}); step p50 ${calibration.p50.toFixed(1)} µs${figures ? ` (startup benchmark: ${figures})` : ''}`,
    );
    return { loaded, session, info, calibration, budget };
  } catch (err) {
    await session.release();
    throw err;
  }
}

/** Open the input for `loaded`'s shape (input columns, labels, audio features). */
export async function openInput(o: DeviceRunOptions, loaded: LoadedModel): Promise<OpenedInput> {
  const m = loaded.manifest.model;
  const source = await openSource(o.input, o.stdin);
  const format = detectFormat(o.format ?? 'auto', source);
  const counters = newCounters();
  if (format === 'wav') {
    const adapter = wavAdapter(source, {
      stream: o.input === '-',
      log: o.log,
      hopMs: clipHopMs(o, loaded),
      counters,
    });
    if (adapter.dim !== m.inputs) {
      throw new InputError(
        `audio gives ${adapter.dim} log-mel features per step, the model takes ${m.inputs} inputs (not a voice model?)`,
      );
    }
    return { format, adapter, counters };
  }
  const target = o.target?.length ? o.target : null;
  const common = { inputs: m.inputs, outputs: m.outputs, counters, log: o.log };
  const adapter =
    format === 'csv'
      ? csvAdapter(source, {
          ...common,
          inputNames: loaded.meta.inputNames,
          inputNamesFrom: loaded.meta.source,
          target,
          rateHz: o.rateHz ?? 0,
          expectedRows: null,
        })
      : jsonlAdapter(source, common);
  const rows = format === 'csv' && o.input !== '-' && o.selectAfter === 0 ? countRows(o.input) : null;
  return { format, adapter, counters, rows };
}

/**
 * Samples between a prediction and its label: --horizon, else the model's own horizon (the
 * bundle manifest's, or the training record's) when --target is its target, else 0.
 */
export function horizonFor(loaded: LoadedModel, o: Pick<DeviceRunOptions, 'horizon' | 'target'>): number {
  const target = o.target?.length ? o.target : null;
  const meta = loaded.meta;
  return (
    o.horizon ??
    (target && meta.horizon !== null && target.length === 1 && target[0] === meta.target ? meta.horizon : 0)
  );
}

/**
 * The model's streaming test MSE when the run scores what it was trained for (--target is its
 * target at its horizon): the export manifest's figure at the exported precision, else the
 * fp32 figure the manifest's training section (or the training record) states. The drift
 * monitor normalises the residual by it.
 */
export function testMseFor(
  loaded: LoadedModel,
  o: Pick<DeviceRunOptions, 'target'>,
  horizon: number,
): number | null {
  const meta = loaded.meta;
  const target = o.target ?? [];
  if (target.length !== 1 || target[0] !== meta.target || horizon !== meta.horizon) return null;
  const test = loaded.manifest.accuracy.test;
  if (test?.metric === 'test_mse' && test.value > 0) return test.value;
  return meta.testMse;
}

/** Run a started model over an opened input until the input ends or `o.signal` fires. */
export async function runStarted(
  started: StartedModel,
  input: OpenedInput,
  o: DeviceRunOptions,
): Promise<DeviceSummary> {
  const { loaded, session, info, calibration } = started;
  const m = loaded.manifest.model;
  const counters = input.counters;
  if (input.format === 'wav') {
    if ((o.selectAfter ?? null) !== null || o.adaptTau === true) {
      // README "Keyword spotting": without labels neither has an honest loss to follow
      o.log('voice models are fixed on the device: --select and --adapt-tau are ignored for audio input');
    }
    const clips = input.adapter;
    const signal = o.signal;
    const adapter: ClipAdapter = signal
      ? { kind: 'wav', steps: clips.steps, dim: clips.dim, clips: () => untilAborted(clips.clips(), signal) }
      : clips;
    const summary = await runClipLoop(adapter, {
      loaded,
      session,
      engine: info,
      calibration,
      counters,
      emit: o.emit,
      classes: o.classes ?? loaded.meta.classes,
      ...detectorSetting(loaded.meta.detector, o.detector),
      clipHopMs: clipHopMs(o, loaded),
      ...(o.clipLines ? { clipLines: true } : {}),
      ...(o.onDetection ? { onDetection: o.onDetection } : {}),
    });
    return withBudgets(summary, started);
  }
  const target = o.target?.length ? o.target : null;
  const horizon = horizonFor(loaded, o);
  const forecaster = loaded.meta.task === 'forecast' || horizon > 0;
  const adaptTau = (o.adaptTau ?? (forecaster && target !== null)) && m.stateWidth > 0;
  let selectAfter = o.selectAfter ?? null;
  if (selectAfter === 0) selectAfter = input.rows ? Math.max(1, Math.floor(input.rows / 2)) : 256;
  const summary = await runLoop(input.adapter, {
    loaded,
    session,
    engine: info,
    calibration,
    counters,
    emit: o.emit,
    log: o.log,
    horizon,
    testMse: testMseFor(loaded, o, horizon),
    adaptTau,
    selectAfter,
    select: { budgetMs: o.selectBudgetMs ?? 1000 },
    ...(o.observer ? { observer: o.observer } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.control ? { control: o.control } : {}),
  });
  return withBudgets(summary, started);
}

/**
 * Peak resident memory of this process, MiB: Linux's VmHWM (per address space, so it starts
 * afresh at exec), else getrusage's maxRSS (which on Linux keeps the parent's peak across exec).
 */
export function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** The summary with the profile's latency and memory budgets next to what the run measured. */
function withBudgets(summary: DeviceSummary, started: StartedModel): DeviceSummary {
  const peak = peakRssMiB();
  const budget = started.loaded.profile.memoryBudgetMiB ?? null;
  return {
    ...summary,
    latency_budget: withRunLatency(started.budget, summary.latency_us),
    memory: {
      peak_rss_mib: Math.round(peak * 10) / 10,
      budget_mib: budget,
      status: budget === null ? null : peak <= budget ? 'within' : 'over',
    },
  };
}

export async function runDevice(o: DeviceRunOptions): Promise<DeviceSummary> {
  const started = await startModel(o);
  try {
    const input = await openInput(o, started.loaded);
    return await runStarted(started, input, o);
  } finally {
    await started.session.release();
  }
}

/** The flag's hop, else the one the bundle's detector setting was chosen at, else the device's. */
function clipHopMs(o: Pick<DeviceRunOptions, 'clipHopMs'>, loaded: LoadedModel): number {
  return o.clipHopMs ?? loaded.meta.detector?.hopMs ?? DEVICE_CLIP_HOP_MS;
}

/**
 * The keyword detector's setting: flags first, then the bundle's validated one, then the
 * defaults (shared/audio/detection.ts), each field on its own.
 */
function detectorSetting(
  validated: DetectorSetting | null,
  given: Omit<DetectorOptions, 'classes'> | undefined,
): { detector: Omit<DetectorOptions, 'classes'>; detectorFrom: 'model' | 'flags' | 'defaults' } {
  const flags = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
  const fromModel = validated ? { threshold: validated.threshold, smoothClips: validated.smoothClips } : {};
  const from = 'threshold' in flags || 'smoothClips' in flags ? 'flags' : validated ? 'model' : 'defaults';
  return { detector: { ...fromModel, ...flags }, detectorFrom: from };
}
