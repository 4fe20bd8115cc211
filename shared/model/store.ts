/**
 * The model directory: model.json (architecture, selectors, weight index), weights.bin
 * (float64 little-endian tensors in layout order, sha256 recorded) and library.json (the
 * candidate activations). Written atomically as a whole directory; loading checks the schema,
 * model.json's sha256 over its whole description (format 2), the library's hashes and
 * version, the weights' checksum, every tensor's shape and that the selectors' candidates are
 * in the library.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError, SchemaError } from '../errors.js';
import { writeDirAtomic } from '../io/atomic.js';
import { canonicalJson } from '../io/canonical-json.js';
import { readJsonWithSchema } from '../io/json-file.js';
import { LIBRARY_FILE, libraryToJson, loadLibrary } from '../library/library.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelJson, ModelJsonSchema } from '../types/model.js';
import { parameterLayout } from './layout.js';
import { checkParams, type HybridModel } from './model.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

function encodeWeights(model: HybridModel): { bytes: Uint8Array; tensors: ModelJson['weights']['tensors'] } {
  const layout = parameterLayout(model);
  let total = 0;
  for (const t of layout) total += model.params.get(t.name)!.length;
  const buf = Buffer.alloc(total * 8);
  let off = 0;
  for (const t of layout) {
    for (const v of model.params.get(t.name)!) {
      buf.writeDoubleLE(v, off);
      off += 8;
    }
  }
  return { bytes: buf, tensors: layout.map((t) => ({ name: t.name, shape: [...t.shape] })) };
}

/** sha256 over the canonical JSON of a model description without its own `sha256` field. */
export function modelDescriptionHash(json: ModelJson): string {
  const { sha256: _, ...described } = json;
  return createHash('sha256').update(canonicalJson(described)).digest('hex');
}

export function modelToFiles(
  model: HybridModel,
  createdBy = 'liquidkan',
): Record<string, Uint8Array | string> {
  checkParams(model, 'model');
  const { bytes, tensors } = encodeWeights(model);
  const json: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    inputs: model.inputs,
    outputs: model.outputs,
    layers: [...model.layers],
    dtDefault: model.dtDefault,
    ...(model.scaling ? { scaling: model.scaling } : {}),
    ...(model.residualInput !== undefined ? { residualInput: model.residualInput } : {}),
    seed: model.seed,
    library: { version: model.library.version, hash: model.library.hash },
    weights: { file: WEIGHTS_FILE, sha256: createHash('sha256').update(bytes).digest('hex'), tensors },
    createdBy,
  };
  const sealed: ModelJson = { ...json, sha256: modelDescriptionHash(json) };
  return {
    [MODEL_FILE]: `${JSON.stringify(sealed, null, 2)}\n`,
    [WEIGHTS_FILE]: bytes,
    [LIBRARY_FILE]: libraryToJson(model.library),
  };
}

/** Write the model directory atomically; `extra` files (e.g. training.json) go in with it. */
export function saveModelDir(
  dir: string,
  model: HybridModel,
  createdBy?: string,
  extra: Readonly<Record<string, string | Uint8Array>> = {},
): void {
  writeDirAtomic(dir, { ...modelToFiles(model, createdBy), ...extra });
}

export function loadModelDir(dir: string): HybridModel {
  const file = join(dir, MODEL_FILE);
  if (!existsSync(file)) throw new ModelError(`${dir}: not a model directory (no ${MODEL_FILE})`);
  const json = readJsonWithSchema(ModelJsonSchema, file);
  if (json.sha256 !== undefined && json.sha256 !== modelDescriptionHash(json)) {
    throw new SchemaError(
      file,
      'sha256',
      `does not match the model description (${modelDescriptionHash(json)}): an edited or corrupt model.json`,
    );
  }
  const library = loadLibrary(join(dir, LIBRARY_FILE));
  if (library.version !== json.library.version) {
    throw new SchemaError(
      file,
      'library.version',
      `is ${json.library.version} but ${join(dir, LIBRARY_FILE)} is version ${library.version}`,
    );
  }
  if (library.hash !== json.library.hash) {
    throw new SchemaError(
      file,
      'library.hash',
      `does not match ${join(dir, LIBRARY_FILE)} (hash ${library.hash})`,
    );
  }
  const wfile = join(dir, json.weights.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(wfile);
  } catch (err) {
    throw new ModelError(`${wfile}: cannot read weights (${(err as Error).message})`, { cause: err });
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== json.weights.sha256) {
    throw new ModelError(
      `${wfile}: sha256 ${digest} does not match model.json weights.sha256 (corrupt or truncated)`,
    );
  }
  const layout = parameterLayout(json);
  const listed = json.weights.tensors.map((t) => `${t.name}[${t.shape}]`).join(' ');
  const expected = layout.map((t) => `${t.name}[${t.shape}]`).join(' ');
  if (listed !== expected) {
    throw new SchemaError(file, 'weights.tensors', `do not match the architecture (expected ${expected})`);
  }
  const params = new Map<string, Float64Array>();
  let off = 0;
  for (const t of layout) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (off + n * 8 > bytes.length) throw new ModelError(`${wfile}: too short for tensor '${t.name}'`);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = bytes.readDoubleLE(off + 8 * i);
    params.set(t.name, data);
    off += n * 8;
  }
  if (off !== bytes.length)
    throw new ModelError(`${wfile}: ${bytes.length - off} bytes left over after the last tensor`);
  const model: HybridModel = {
    inputs: json.inputs,
    outputs: json.outputs,
    layers: json.layers,
    dtDefault: json.dtDefault,
    ...(json.scaling ? { scaling: json.scaling } : {}),
    ...(json.residualInput !== undefined ? { residualInput: json.residualInput } : {}),
    seed: json.seed,
    library,
    params,
  };
  checkParams(model, dir);
  return model;
}
