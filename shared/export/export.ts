/**
 * Export a liquid hybrid for a firmware profile: the step graph (model.onnx), the sequence
 * graph (sequence.onnx), the model directory files the device needs to reselect and rebuild
 * (model.json, weights.bin, library.json) and manifest.json describing all of it.
 * Budgets are enforced here: a bundle the board cannot hold is refused, not written.
 */
import { createHash } from 'node:crypto';
import { ManifestError, ProfileError } from '../errors.js';
import { writeDirAtomic } from '../io/atomic.js';
import { parameterCount, stateWidth } from '../model/layout.js';
import { type HybridModel, layerCandidates, param } from '../model/model.js';
import { runSequence } from '../model/reference.js';
import { selectorWeightsInto } from '../model/selector.js';
import { modelToFiles, WEIGHTS_FILE } from '../model/store.js';
import { Rng } from '../numeric/rng.js';
import { ONNX_IR_VERSION, ONNX_OPSET } from '../onnx/model-builder.js';
import {
  EXPORT_FORMAT,
  type ExportManifest,
  MANIFEST_FILE,
  type ManifestTraining,
} from '../types/manifest.js';
import type { FirmwareProfile, Quantization } from '../types/profile.js';
import { buildSequenceGraph, buildStepGraph, defaultTau } from './graph.js';
import { fp16Exceptions, type PrecisionBudget } from './mixed-precision.js';
import { quantizationBound } from './quant-bound.js';
import { quantizeWeights } from './quantize-model.js';

export const STEP_FILE = 'model.onnx';
export const SEQUENCE_FILE = 'sequence.onnx';
export { MANIFEST_FILE } from '../types/manifest.js';

export interface ExportOptions {
  readonly profile: FirmwareProfile;
  readonly quant: Quantization;
  /** @defaultValue 'liquidkan' */
  readonly createdBy?: string;
  /** Steps of the seeded probe sequence that measures the quantisation error. @defaultValue 64 */
  readonly probeSteps?: number;
  /** Test error of a model variant (the reference run on the weights a file holds), e.g. test MSE. */
  readonly testError?: { readonly metric: string; readonly evaluate: (model: HybridModel) => number };
  /** int8: keep the matrices at fp16 that int8 would cost this much validation loss (mixed-precision.ts). */
  readonly precisionBudget?: PrecisionBudget;
  /** What the model was trained for (column names, target, horizon, test error): makes the bundle self-describing. */
  readonly training?: ManifestTraining;
}

export interface ExportBundle {
  readonly manifest: ExportManifest;
  readonly files: Record<string, Uint8Array | string>;
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkBudgets(model: HybridModel, opts: ExportOptions, stepBytes: number): void {
  const p = opts.profile;
  if (!p.quantization.allowed.includes(opts.quant)) {
    throw new ProfileError(
      `profile '${p.name}' does not allow --quant ${opts.quant} (allowed: ${p.quantization.allowed.join(', ')})`,
    );
  }
  if (model.library.entries.length > p.libraryEntryBudget) {
    throw new ProfileError(
      `the model's library has ${model.library.entries.length} entries, over profile '${p.name}' budget of ${p.libraryEntryBudget}`,
    );
  }
  if (stepBytes > p.modelSizeBudgetBytes) {
    throw new ProfileError(
      `the ${opts.quant} model is ${stepBytes} bytes, over profile '${p.name}' budget of ${p.modelSizeBudgetBytes} bytes` +
        (opts.quant === 'int8' ? '' : ' (try --quant int8)'),
    );
  }
}

/** A seeded probe: inputs ~ N(0, 1), the model's default Δt. */
function probeInputs(model: HybridModel, steps: number): Float64Array {
  const rng = new Rng(0x5eed ^ model.seed);
  const x = new Float64Array(steps * model.inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return x;
}

function checkTraining(model: HybridModel, t: ManifestTraining | undefined): void {
  if (t?.inputs && t.inputs.length !== model.inputs) {
    throw new ManifestError(
      `training.inputs names ${t.inputs.length} column(s) (${t.inputs.join(', ')}), the model takes ${model.inputs} input(s)`,
    );
  }
  if (t?.classes && t.classes.length !== model.outputs) {
    throw new ManifestError(
      `training.classes names ${t.classes.length} class(es), the model has ${model.outputs} output(s)`,
    );
  }
}

export function exportModel(model: HybridModel, opts: ExportOptions): ExportBundle {
  checkTraining(model, opts.training);
  const fp16 =
    opts.quant === 'int8' && opts.precisionBudget
      ? fp16Exceptions(model, opts.precisionBudget)
      : new Set<string>();
  const qw = quantizeWeights(model, opts.quant, fp16);
  const step = buildStepGraph(model, qw);
  const sequence = buildSequenceGraph(model, qw);
  checkBudgets(model, opts, step.bytes.length);

  const probeSteps = opts.probeSteps ?? 64;
  const probe = probeInputs(model, probeSteps);
  const yRef = runSequence(model, probe);
  const yQ = runSequence(qw.model, probe);
  let maxErr = 0;
  for (let i = 0; i < yRef.length; i++) maxErr = Math.max(maxErr, Math.abs(yRef[i]! - yQ[i]!));
  const bound = Math.max(...quantizationBound(model, qw, probe));

  const modelFiles = modelToFiles(model, opts.createdBy);
  const tau = defaultTau(model);
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    formatVersion: 1,
    createdBy: opts.createdBy ?? 'liquidkan',
    profile: opts.profile.name,
    quant: opts.quant,
    weightPrecision: Object.fromEntries(qw.precision),
    onnx: { irVersion: ONNX_IR_VERSION, opset: ONNX_OPSET },
    model: {
      inputs: model.inputs,
      outputs: model.outputs,
      stateWidth: stateWidth(model),
      dtDefault: model.dtDefault,
      parameters: parameterCount(model),
      weightsSha256: sha256(modelFiles[WEIGHTS_FILE]!),
    },
    library: { version: model.library.version, hash: model.library.hash },
    selection: model.layers.map((layer, i) => {
      const entries = layerCandidates(model, layer);
      const w = new Float64Array(entries.length);
      const s = layer.selector;
      selectorWeightsInto(param(model, `L${i}.logits`), s.temperature, s.mode, s.chosen, w);
      return {
        layer: i,
        kind: layer.kind,
        mode: s.mode,
        entries: entries.flatMap((e, k) => (w[k] ? [{ id: e.id, name: e.name, weight: w[k]! }] : [])),
      };
    }),
    tau: { default: Array.from(tau.tau), min: tau.min, max: tau.max },
    step: {
      file: { file: STEP_FILE, sha256: sha256(step.bytes), bytes: step.bytes.length },
      inputs: step.inputs,
      outputs: step.outputs,
    },
    sequence: {
      file: { file: SEQUENCE_FILE, sha256: sha256(sequence.bytes), bytes: sequence.bytes.length },
      inputs: sequence.inputs,
      outputs: sequence.outputs,
    },
    accuracy: {
      probeSteps,
      maxAbsErrorVsFp32: maxErr,
      boundVsFp32: bound,
      ...(opts.testError ? { test: testErrors(model, qw.model, opts.testError) } : {}),
    },
    ...(opts.training ? { training: opts.training } : {}),
  };
  return {
    manifest,
    files: {
      ...modelFiles,
      [STEP_FILE]: step.bytes,
      [SEQUENCE_FILE]: sequence.bytes,
      [MANIFEST_FILE]: `${JSON.stringify(manifest, null, 2)}\n`,
    },
  };
}

function testErrors(
  model: HybridModel,
  quantised: HybridModel,
  t: NonNullable<ExportOptions['testError']>,
): NonNullable<ExportManifest['accuracy']['test']> {
  const fp32 = t.evaluate(quantizeWeights(model, 'fp32').model);
  const value = t.evaluate(quantised);
  return { metric: t.metric, fp32, value, relativeIncrease: fp32 > 0 ? value / fp32 - 1 : 0 };
}

export function writeBundle(dir: string, bundle: ExportBundle): void {
  writeDirAtomic(dir, bundle.files);
}
