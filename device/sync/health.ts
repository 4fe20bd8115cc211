/**
 * Health checks of a newly installed slot (DESIGN "Releases and sync (MQTT)": "health-check, roll
 * back on failure"), run by InstallSlots while the slot is on trial.
 *
 * A model release must load for this board's profile (schema, hashes, size budget), start on the
 * device's engine within the latency budget, take the inputs the device's input gives, and run
 * the recent buffered samples (or, with none yet, a short zero sequence) without a non-finite
 * output. When the buffer holds labels its error must be within `errorFactor` × the running
 * model's error on the same samples (both from a fresh state) + `errorEpsilon`.
 *
 * A library release must parse as a library (schema, entry ids, content hash) and every entry
 * must compile and give finite values and slopes on a grid over [-1, 1].
 */
import { join } from 'node:path';
import { compileActivation } from '../../shared/activations/index.js';
import { ShapeError } from '../../shared/errors.js';
import { readJsonFile } from '../../shared/io/json-file.js';
import { LIBRARY_FILE, parseLibrary } from '../../shared/library/library.js';
import type { FirmwareProfile, Quantization } from '../../shared/types/profile.js';
import type { EngineChoice } from '../runtime/engine-start.js';
import { startModel } from '../runtime/run.js';
import type { SampleBuffer } from '../select/buffer.js';
import type { HealthCheck, HealthResult } from './slots.js';

export interface ModelHealthOptions {
  readonly profile: FirmwareProfile;
  /** @defaultValue 'auto' */
  readonly engine?: EngineChoice;
  /** @defaultValue the profile's */
  readonly threads?: number;
  /** Precision to run at, as the runner does. @defaultValue the bundle's, or the profile's */
  readonly quant?: Quantization;
  /** Check the calibrated p50 against the profile's budget. @defaultValue true */
  readonly latencyCheck?: boolean;
  /** Recent samples to run; null or empty = a zero input sequence. */
  readonly samples: () => SampleBuffer | null;
  /** Samples between a prediction and its label. @defaultValue 0 */
  readonly horizon?: () => number;
  /** Directory of the model running now, to compare errors with; null = none. */
  readonly reference: () => string | null;
  /** The input's shape; a model that takes another is refused. */
  readonly shape?: () => { readonly inputs: number; readonly outputs: number } | null;
  /** @defaultValue 2 */
  readonly errorFactor?: number;
  /** @defaultValue 1e-9 */
  readonly errorEpsilon?: number;
  /** Steps of the zero sequence run when no samples are buffered. @defaultValue 32 */
  readonly zeroSteps?: number;
}

interface BufferRun {
  readonly mse: number | null;
  readonly nonFinite: number | null;
  readonly inputs: number;
  readonly outputs: number;
}

/** Run the model in `dir` from a fresh state over the samples (or zeros). */
async function runOnSamples(dir: string, o: ModelHealthOptions, latency: boolean): Promise<BufferRun> {
  // started exactly as the runner will start it (same quantisation, engine, threads, budgets)
  const { loaded, session } = await startModel({
    model: dir,
    profile: o.profile,
    ...(o.quant ? { quant: o.quant } : {}),
    ...(o.engine ? { engine: o.engine } : {}),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    latencyCheck: latency,
    log: () => {},
  });
  const m = loaded.manifest.model;
  try {
    const shape = o.shape?.() ?? null;
    if (shape && (shape.inputs !== m.inputs || shape.outputs !== m.outputs)) {
      throw new ShapeError(
        `the model takes ${m.inputs} inputs and gives ${m.outputs} outputs; the device's input has ${shape.inputs} and ${shape.outputs}`,
      );
    }
    const buf = o.samples();
    const H = o.horizon?.() ?? 0;
    const n = buf && buf.size > 0 ? buf.size : (o.zeroSteps ?? 32);
    const preds = new Float64Array(n * m.outputs);
    const zero = new Float64Array(m.inputs);
    let se = 0;
    let labelled = 0;
    for (let t = 0; t < n; t++) {
      const row = buf && buf.size > 0 ? buf.row(t) : { x: zero, y: null, dt: loaded.model.dtDefault };
      const y = await session.step(row.x, row.dt);
      for (let j = 0; j < m.outputs; j++) {
        if (!Number.isFinite(y[j]!)) return { mse: null, nonFinite: t, inputs: m.inputs, outputs: m.outputs };
        preds[t * m.outputs + j] = y[j]!;
      }
      if (row.y && t - H >= 0) {
        for (let j = 0; j < m.outputs; j++)
          se += (preds[(t - H) * m.outputs + j]! - row.y[j]!) ** 2 / m.outputs;
        labelled++;
      }
    }
    return { mse: labelled ? se / labelled : null, nonFinite: null, inputs: m.inputs, outputs: m.outputs };
  } finally {
    await session.release();
  }
}

export function modelHealthCheck(o: ModelHealthOptions): HealthCheck {
  return async (dir): Promise<HealthResult> => {
    const cand = await runOnSamples(dir, o, o.latencyCheck !== false);
    if (cand.nonFinite !== null) {
      return { ok: false, reason: `the model gives a non-finite output at buffered step ${cand.nonFinite}` };
    }
    const refDir = o.reference();
    if (cand.mse === null || refDir === null) {
      return {
        ok: true,
        reason: `loads and runs ${o.samples()?.size || 'zero'} samples with finite outputs`,
      };
    }
    const ref = await runOnSamples(refDir, { ...o, shape: () => null }, false);
    const factor = o.errorFactor ?? 2;
    const bound = factor * (ref.mse ?? Number.POSITIVE_INFINITY) + (o.errorEpsilon ?? 1e-9);
    const figures = `MSE ${cand.mse.toPrecision(4)} on the buffered samples, the running model's ${ref.mse?.toPrecision(4) ?? 'n/a'}`;
    if (!(cand.mse <= bound)) {
      return { ok: false, reason: `${figures}: over ${factor}× the running model's error` };
    }
    return { ok: true, reason: figures };
  };
}

/** Every entry of the slot's library.json compiles and is finite on a grid over [-1, 1]. */
export function libraryHealthCheck(gridPoints = 201): HealthCheck {
  return (dir): HealthResult => {
    const file = join(dir, LIBRARY_FILE);
    const lib = parseLibrary(readJsonFile(file), file);
    for (const entry of lib.entries) {
      const c = compileActivation(entry);
      for (let i = 0; i < gridPoints; i++) {
        const z = -1 + (2 * i) / (gridPoints - 1);
        const v = c.value(z);
        const d = c.slope(z);
        if (!Number.isFinite(v) || !Number.isFinite(d)) {
          return { ok: false, reason: `library entry '${entry.name}' is not finite at z = ${z}` };
        }
      }
    }
    return { ok: true, reason: `library ${lib.version}: ${lib.entries.length} entries finite on [-1, 1]` };
  };
}
