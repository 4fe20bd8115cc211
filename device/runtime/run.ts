/**
 * `runDevice()`: the whole device run as a library call — load and verify the model for the
 * profile, start the engine, calibrate the step latency against the budget, open the input and
 * loop until it ends. The CLI (cli/commands/device.ts) only maps flags onto these options.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InputError } from '../../shared/errors.js';
import type { FirmwareProfile, Quantization } from '../../shared/types/profile.js';
import { csvAdapter } from '../adapters/csv.js';
import { jsonlAdapter } from '../adapters/jsonl.js';
import { detectFormat, openSource } from '../adapters/source.js';
import { newCounters } from '../adapters/types.js';
import { wavAdapter } from '../adapters/wav.js';
import { checkSizeBudget, loadForDevice } from './bundle.js';
import { runClipLoop } from './clip-loop.js';
import { calibrate, checkLatencyBudget, type EngineChoice, startEngine } from './engine-start.js';
import { runLoop } from './loop.js';
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
  /** Check the calibrated p50 against the profile's budget. @defaultValue true */
  readonly latencyCheck?: boolean;
  /** Seconds between voice clips. @defaultValue 0.25 */
  readonly clipHopMs?: number;
  readonly classes?: readonly string[] | null;
  /** Output lines (null = quiet) and log lines. */
  readonly emit: ((line: string) => void) | null;
  readonly log: (line: string) => void;
  readonly stdin?: Readable;
}

/** Data rows of a CSV file (non-empty, non-comment lines less a header), for the midpoint. */
function countRows(file: string): number {
  const lines = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const header = lines.length > 0 && /[a-df-z_]/i.test(lines[0]!.replace(/nan|inf/gi, ''));
  return lines.length - (header ? 1 : 0);
}

export async function runDevice(o: DeviceRunOptions): Promise<DeviceSummary> {
  const loaded = loadForDevice(o.model, { profile: o.profile, ...(o.quant ? { quant: o.quant } : {}) });
  checkSizeBudget(loaded.stepBytes.length, o.profile, loaded.quant);
  const { session: engineSession, info } = await startEngine(loaded.stepBytes, {
    engine: o.engine ?? 'auto',
    profile: o.profile,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
  });
  for (const f of info.fallbacks) o.log(`engine ${f.engine} not used: ${f.reason}`);
  const m = loaded.manifest.model;
  const session = new StepSession(engineSession, m, loaded.manifest.tau.default);
  try {
    const calibration = await calibrate(session, loaded.model.dtDefault);
    if (o.latencyCheck !== false) checkLatencyBudget(calibration, o.profile, info.name);
    o.log(
      `running ${loaded.source === 'bundle' ? 'bundle' : 'model directory'} ${o.model} on ${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'}, ${loaded.quant}); step p50 ${calibration.p50.toFixed(1)} µs`,
    );
    const source = await openSource(o.input, o.stdin);
    const format = detectFormat(o.format ?? 'auto', source);
    const counters = newCounters();
    if (format === 'wav') {
      const adapter = wavAdapter(source, { stream: o.input === '-', log: o.log, hopMs: o.clipHopMs ?? 250 });
      if (adapter.dim !== m.inputs) {
        throw new InputError(
          `audio gives ${adapter.dim} log-mel features per step, the model takes ${m.inputs} inputs (not a voice model?)`,
        );
      }
      const classes = o.classes ?? loaded.meta.classes;
      return await runClipLoop(adapter, {
        loaded,
        session,
        engine: info,
        calibration,
        counters,
        emit: o.emit,
        classes,
      });
    }
    const target = o.target?.length ? o.target : null;
    const meta = loaded.meta;
    const horizon =
      o.horizon ??
      (target && meta.horizon !== null && target.length === 1 && target[0] === meta.target
        ? meta.horizon
        : 0);
    const forecaster = meta.task === 'forecast' || horizon > 0;
    const adaptTau = (o.adaptTau ?? (forecaster && target !== null)) && m.stateWidth > 0;
    const common = { inputs: m.inputs, outputs: m.outputs, counters, log: o.log };
    const adapter =
      format === 'csv'
        ? csvAdapter(source, {
            ...common,
            inputNames: meta.inputNames,
            target,
            rateHz: o.rateHz ?? 0,
            expectedRows: null,
          })
        : jsonlAdapter(source, common);
    let selectAfter = o.selectAfter ?? null;
    if (selectAfter === 0) {
      const rows = format === 'csv' && o.input !== '-' ? countRows(o.input) : null;
      selectAfter = rows ? Math.max(1, Math.floor(rows / 2)) : 256;
    }
    return await runLoop(adapter, {
      loaded,
      session,
      engine: info,
      calibration,
      counters,
      emit: o.emit,
      log: o.log,
      horizon,
      adaptTau,
      selectAfter,
      select: { budgetMs: o.selectBudgetMs ?? 1000 },
    });
  } finally {
    await session.release();
  }
}
