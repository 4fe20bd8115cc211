/**
 * Loading what the device runs: an exported bundle (manifest.json + model.onnx + sequence.onnx +
 * the model directory files) checked file by file against its manifest (schema, sizes, sha256,
 * profile, quantisation, size budget), or a trained model directory exported in memory for the
 * profile. Either way the result holds the step graph's bytes and the HybridModel that the
 * TypeScript side (τ adaptation, selection, the reference) works on.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, ProfileError } from '../../shared/errors.js';
import { readJsonWithSchema } from '../../shared/io/json-file.js';
import type { HybridModel } from '../../shared/model/model.js';
import { loadModelDir, MODEL_FILE } from '../../shared/model/store.js';
import { type ExportManifest, ExportManifestSchema, MANIFEST_FILE } from '../../shared/types/manifest.js';
import type { FirmwareProfile, Quantization } from '../../shared/types/profile.js';
import { type ModelMeta, metaFromManifest, readModelMeta } from './meta.js';

export interface LoadOptions {
  readonly profile: FirmwareProfile;
  /** Precision for a model directory (a bundle has its own). @defaultValue the profile's default */
  readonly quant?: Quantization;
}

export interface LoadedModel {
  readonly dir: string;
  /** 'bundle': read from disk and verified; 'model-dir': exported in memory at load. */
  readonly source: 'bundle' | 'model-dir';
  readonly manifest: ExportManifest;
  readonly model: HybridModel;
  /** The step graph (model.onnx). */
  readonly stepBytes: Uint8Array;
  readonly profile: FirmwareProfile;
  readonly quant: Quantization;
  readonly meta: ModelMeta;
}

function readChecked(dir: string, entry: ExportManifest['step']['file'], field: string): Uint8Array {
  const file = join(dir, entry.file);
  if (!existsSync(file)) throw new ManifestError(`${file}: missing (listed in ${MANIFEST_FILE} ${field})`);
  const size = statSync(file).size;
  if (size !== entry.bytes) {
    throw new ManifestError(
      `${file}: is ${size} bytes, ${MANIFEST_FILE} ${field}.bytes says ${entry.bytes} (truncated or replaced); refusing to load`,
    );
  }
  const bytes = new Uint8Array(readFileSync(file));
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== entry.sha256) {
    throw new ManifestError(
      `${file}: sha256 ${digest} does not match ${MANIFEST_FILE} ${field}.sha256 ${entry.sha256} (corrupt or modified); refusing to load`,
    );
  }
  return bytes;
}

/** Refuses a step graph over the profile's size budget. */
export function checkSizeBudget(bytes: number, profile: FirmwareProfile, quant: Quantization): void {
  if (bytes > profile.modelSizeBudgetBytes) {
    throw new ProfileError(
      `the ${quant} model is ${bytes} bytes, over profile '${profile.name}' modelSizeBudgetBytes ${profile.modelSizeBudgetBytes}` +
        (quant === 'int8' ? '' : ' (export it with --quant int8)'),
    );
  }
}

function loadBundleDir(dir: string, profile: FirmwareProfile): LoadedModel {
  const manifest = readJsonWithSchema(ExportManifestSchema, join(dir, MANIFEST_FILE));
  if (manifest.profile !== profile.name) {
    throw new ProfileError(
      `${join(dir, MANIFEST_FILE)}: the bundle was exported for profile '${manifest.profile}', this device runs '${profile.name}' (re-export with --profile ${profile.name}, or pass --profile ${manifest.profile})`,
    );
  }
  if (!profile.quantization.allowed.includes(manifest.quant)) {
    throw new ProfileError(
      `${join(dir, MANIFEST_FILE)}: quant ${manifest.quant} is not allowed by profile '${profile.name}' (allowed: ${profile.quantization.allowed.join(', ')})`,
    );
  }
  checkSizeBudget(manifest.step.file.bytes, profile, manifest.quant);
  const stepBytes = readChecked(dir, manifest.step.file, 'step.file');
  readChecked(dir, manifest.sequence.file, 'sequence.file');
  const model = loadModelDir(dir);
  const weights = createHash('sha256')
    .update(readFileSync(join(dir, 'weights.bin')))
    .digest('hex');
  if (weights !== manifest.model.weightsSha256) {
    throw new ManifestError(
      `${join(dir, 'weights.bin')}: sha256 ${weights} does not match ${MANIFEST_FILE} model.weightsSha256; refusing to load`,
    );
  }
  if (model.inputs !== manifest.model.inputs || model.outputs !== manifest.model.outputs) {
    throw new ManifestError(
      `${join(dir, MANIFEST_FILE)}: model.inputs/outputs ${manifest.model.inputs}/${manifest.model.outputs} do not match ${MODEL_FILE} (${model.inputs}/${model.outputs})`,
    );
  }
  return {
    dir,
    source: 'bundle',
    manifest,
    model,
    stepBytes,
    profile,
    quant: manifest.quant,
    // a training.json beside it only for bundles exported before manifests said it themselves
    meta: metaFromManifest(manifest) ?? readModelMeta(dir),
  };
}

/**
 * A bundle directory (has manifest.json) or a trained model directory (model.json only). The
 * exporter (and the protobuf library it writes with) is loaded only for a model directory.
 */
export async function loadForDevice(dir: string, o: LoadOptions): Promise<LoadedModel> {
  if (existsSync(join(dir, MANIFEST_FILE))) return loadBundleDir(dir, o.profile);
  if (!existsSync(join(dir, MODEL_FILE))) {
    throw new ManifestError(
      `${dir}: neither an exported bundle (${MANIFEST_FILE}) nor a model directory (${MODEL_FILE})`,
    );
  }
  const model = loadModelDir(dir);
  const quant = o.quant ?? o.profile.quantization.default;
  const { exportModel } = await import('../../shared/export/export.js');
  const bundle = exportModel(model, { profile: o.profile, quant, createdBy: 'liquidkan device' });
  const step = bundle.files['model.onnx'];
  return {
    dir,
    source: 'model-dir',
    manifest: bundle.manifest,
    model,
    stepBytes: step instanceof Uint8Array ? step : new TextEncoder().encode(step),
    profile: o.profile,
    quant,
    meta: readModelMeta(dir),
  };
}
