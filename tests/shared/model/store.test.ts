/**
 * The model directory round-trips exactly (tensors, selectors, library), saving is deterministic
 * and replaces a directory whole, and loading refuses every kind of inconsistency with the file
 * and field named.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError, SchemaError } from '../../../shared/errors.js';
import { classicLibrary, LIBRARY_FILE, libraryToJson, makeLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import {
  loadModelDir,
  MODEL_FILE,
  modelDescriptionHash,
  modelToFiles,
  saveModelDir,
  WEIGHTS_FILE,
} from '../../../shared/model/store.js';
import type { ModelJson } from '../../../shared/types/model.js';
import { perturbLogits, tinyModel } from '../../helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'liquidkan-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function saved(model: HybridModel): string {
  const dir = join(root, `m${++n}`);
  saveModelDir(dir, model, 'store.test');
  return dir;
}

function expectSameModel(a: HybridModel, b: HybridModel): void {
  expect(b.inputs).toBe(a.inputs);
  expect(b.outputs).toBe(a.outputs);
  expect(b.dtDefault).toBe(a.dtDefault);
  expect(b.seed).toBe(a.seed);
  expect(b.layers).toEqual(a.layers);
  expect(b.library.hash).toBe(a.library.hash);
  // JSON has no -0, so compare the entries as the file states them
  expect(JSON.parse(JSON.stringify(b.library.entries))).toEqual(
    JSON.parse(JSON.stringify(a.library.entries)),
  );
  expect([...b.params.keys()]).toEqual([...a.params.keys()]);
  for (const [name, t] of a.params) {
    const u = b.params.get(name)!;
    expect(u.length, name).toBe(t.length);
    // bit-exact, including -0
    expect(
      Buffer.from(u.buffer, u.byteOffset, u.byteLength).equals(
        Buffer.from(t.buffer, t.byteOffset, t.byteLength),
      ),
      name,
    ).toBe(true);
  }
}

/**
 * Edit model.json and record the description's sha256 again (unless `reseal` is false), so
 * only the later checks can object.
 */
function rewriteModelJson(dir: string, edit: (json: ModelJson) => void, reseal = true): void {
  const file = join(dir, MODEL_FILE);
  const json = JSON.parse(readFileSync(file, 'utf8')) as ModelJson;
  edit(json);
  if (reseal) json.sha256 = modelDescriptionHash(json);
  writeFileSync(file, JSON.stringify(json));
}

/** Replace weights.bin and record its sha256, so only the later checks can object. */
function rewriteWeights(dir: string, bytes: Buffer): void {
  writeFileSync(join(dir, WEIGHTS_FILE), bytes);
  rewriteModelJson(dir, (j) => {
    j.weights.sha256 = createHash('sha256').update(bytes).digest('hex');
  });
}

describe('model directory round trip', () => {
  it('init → save → load gives identical tensors and selectors (soft mixture)', () => {
    const model = tinyModel({ seed: 21 });
    perturbLogits(model, 4);
    model.params.get('L0.logits')![0] = -0;
    expectSameModel(model, loadModelDir(saved(model)));
  });

  it('init → save → load gives identical tensors and selectors (hard choice, two liquid layers)', () => {
    const model = initModel({
      library: classicLibrary(),
      inputs: 2,
      hidden: 3,
      outputs: 4,
      seed: 8,
      liquidLayers: 2,
      activation: 'softplus',
      dtDefault: 0.05,
    });
    const back = loadModelDir(saved(model));
    expectSameModel(model, back);
    expect(back.layers.map((l) => l.selector.mode)).toEqual(['hard', 'hard', 'hard']);
  });

  it('saving is deterministic: the same model gives the same bytes', () => {
    const a = modelToFiles(tinyModel({ seed: 3 }));
    const b = modelToFiles(tinyModel({ seed: 3 }));
    expect(Object.keys(a).sort()).toEqual([LIBRARY_FILE, MODEL_FILE, WEIGHTS_FILE].sort());
    for (const k of Object.keys(a)) expect(Buffer.from(a[k]!).equals(Buffer.from(b[k]!)), k).toBe(true);
    const c = modelToFiles(tinyModel({ seed: 4 }));
    expect(Buffer.from(c[WEIGHTS_FILE]!).equals(Buffer.from(a[WEIGHTS_FILE]!))).toBe(false);
  });

  it('saving over a model directory replaces it whole and leaves no temp siblings', () => {
    const dir = saved(tinyModel({ seed: 1 }));
    writeFileSync(join(dir, 'stale.txt'), 'from an older save');
    const second = tinyModel({ seed: 2, hidden: 4 });
    saveModelDir(dir, second);
    expect(readdirSync(dir).sort()).toEqual([LIBRARY_FILE, MODEL_FILE, WEIGHTS_FILE].sort());
    expectSameModel(second, loadModelDir(dir));
    expect(readdirSync(root).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a model with a non-finite weight is not saved', () => {
    const model = tinyModel();
    model.params.get('L0.W')![2] = Number.NaN;
    const dir = join(root, 'nan-model');
    expect(() => saveModelDir(dir, model)).toThrow(ModelError);
    expect(() => saveModelDir(dir, model)).toThrow(/tensor 'L0\.W'\[2\] is not finite/);
    expect(readdirSync(root).filter((f) => f.includes('nan-model'))).toEqual([]);
  });
});

// issue 16 item 11: chosen, tauMax and dtDefault were edited and the model loaded (and
// predicted 2.73 instead of 0.39); library.json's version and parent were outside its hash
describe('loading refuses an edited model description', () => {
  it.each([
    [
      'a selector choice',
      (j: ModelJson) => {
        j.layers[0]!.selector.chosen =
          (j.layers[0]!.selector.chosen + 1) % j.layers[0]!.selector.candidates.length;
      },
    ],
    [
      'a τ bound',
      (j: ModelJson) => {
        const liquid = j.layers.find((l) => l.kind === 'liquid') as { tauMax: number } | undefined;
        liquid!.tauMax *= 10;
      },
    ],
    [
      'dtDefault',
      (j: ModelJson) => {
        j.dtDefault *= 3;
      },
    ],
    [
      'the library version it names',
      (j: ModelJson) => {
        j.library.version += 1;
      },
    ],
  ])('%s', (_what, change) => {
    const dir = saved(tinyModel({ activation: 'tanh' }));
    rewriteModelJson(dir, change, false);
    expect(() => loadModelDir(dir)).toThrow(`${join(dir, MODEL_FILE)}: field 'sha256'`);
  });

  it("library.json's version or parent", () => {
    const dir = saved(tinyModel({ activation: 'tanh' }));
    const file = join(dir, LIBRARY_FILE);
    const original = readFileSync(file, 'utf8');
    for (const change of [
      (j: Record<string, unknown>) => {
        j['version'] = 7;
      },
      (j: Record<string, unknown>) => {
        j['parent'] = { version: 0, hash: 'a'.repeat(64) };
      },
    ]) {
      const j = JSON.parse(original) as Record<string, unknown>;
      change(j);
      writeFileSync(file, JSON.stringify(j));
      expect(() => loadModelDir(dir)).toThrow(`${file}: field 'fileHash'`);
    }
  });

  it('still loads a model directory written before the hashes (format 1, no fileHash)', () => {
    const model = tinyModel({ activation: 'tanh' });
    const dir = saved(model);
    rewriteModelJson(
      dir,
      (j) => {
        j.formatVersion = 1;
        delete j.sha256;
      },
      false,
    );
    const lib = JSON.parse(readFileSync(join(dir, LIBRARY_FILE), 'utf8')) as Record<string, unknown>;
    delete lib['fileHash'];
    writeFileSync(join(dir, LIBRARY_FILE), JSON.stringify(lib));
    expectSameModel(loadModelDir(dir), model);
  });
});

describe('loading refuses an inconsistent model directory', () => {
  it('a directory without model.json', () => {
    expect(() => loadModelDir(join(root, 'absent'))).toThrow(
      /absent: not a model directory \(no model\.json\)/,
    );
  });

  it('model.json that is not JSON names the file', () => {
    const dir = saved(tinyModel());
    writeFileSync(join(dir, MODEL_FILE), '{"format":');
    expect(() => loadModelDir(dir)).toThrow(SchemaError);
    expect(() => loadModelDir(dir)).toThrow(`${join(dir, MODEL_FILE)}: not valid JSON`);
  });

  it('a negative units names layers[0].units', () => {
    const dir = saved(tinyModel());
    rewriteModelJson(dir, (j) => {
      j.layers[0]!.units = -6;
    });
    const err = (() => {
      try {
        loadModelDir(dir);
      } catch (e) {
        return e;
      }
    })() as SchemaError;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.file).toBe(join(dir, MODEL_FILE));
    expect(err.field).toBe('layers[0].units');
  });

  it('a selector whose chosen index is out of range names the field', () => {
    const dir = saved(tinyModel({ activation: 'tanh' }));
    rewriteModelJson(dir, (j) => {
      j.layers[1]!.selector.chosen = 99;
    });
    expect(() => loadModelDir(dir)).toThrow("field 'layers[1].selector.chosen'");
  });

  it('a selector candidate that is not in library.json', () => {
    const dir = saved(tinyModel());
    rewriteModelJson(dir, (j) => {
      j.layers[0]!.selector.candidates[0] = 'ffffffffffffffff';
    });
    expect(() => loadModelDir(dir)).toThrow(/ffffffffffffffff/);
  });

  it('a library.json other than the one the model was made with', () => {
    const dir = saved(tinyModel({ activation: 'tanh' }));
    const fewer = makeLibrary(classicLibrary().entries.slice(0, 5), 1);
    writeFileSync(join(dir, LIBRARY_FILE), libraryToJson(fewer));
    expect(() => loadModelDir(dir)).toThrow(`${join(dir, MODEL_FILE)}: field 'library.hash'`);
  });

  it('a truncated or altered weights.bin fails the sha256 check', () => {
    const dir = saved(tinyModel());
    const bytes = readFileSync(join(dir, WEIGHTS_FILE));
    writeFileSync(join(dir, WEIGHTS_FILE), bytes.subarray(0, bytes.length - 8));
    expect(() => loadModelDir(dir)).toThrow(/weights\.bin: sha256 [0-9a-f]{64} does not match model\.json/);
    const flipped = Buffer.from(bytes);
    flipped[0] = flipped[0]! ^ 1;
    writeFileSync(join(dir, WEIGHTS_FILE), flipped);
    expect(() => loadModelDir(dir)).toThrow(ModelError);
  });

  it('a missing weights.bin', () => {
    const dir = saved(tinyModel());
    unlinkSync(join(dir, WEIGHTS_FILE));
    expect(() => loadModelDir(dir)).toThrow(/weights\.bin: cannot read weights/);
  });

  it('a weights.bin too short or too long for the architecture, even with its sha256 recorded', () => {
    const dir = saved(tinyModel());
    const bytes = readFileSync(join(dir, WEIGHTS_FILE));
    rewriteWeights(dir, bytes.subarray(0, bytes.length - 16));
    expect(() => loadModelDir(dir)).toThrow(/weights\.bin: too short for tensor '/);
    rewriteWeights(dir, Buffer.concat([bytes, Buffer.alloc(8)]));
    expect(() => loadModelDir(dir)).toThrow(/weights\.bin: 8 bytes left over after the last tensor/);
  });

  it('a non-finite weight, even with its sha256 recorded', () => {
    const dir = saved(tinyModel());
    const bytes = Buffer.from(readFileSync(join(dir, WEIGHTS_FILE)));
    bytes.writeDoubleLE(Number.POSITIVE_INFINITY, 0);
    rewriteWeights(dir, bytes);
    expect(() => loadModelDir(dir)).toThrow(/is not finite/);
  });

  it('a tensor list that does not match the architecture names weights.tensors', () => {
    const dir = saved(tinyModel());
    rewriteModelJson(dir, (j) => {
      j.weights.tensors.reverse();
    });
    expect(() => loadModelDir(dir)).toThrow("field 'weights.tensors'");
  });
});
