/**
 * `liquidkan demo`: the whole pipeline this build can run, on embedded defaults, with figures.
 * Today: a seeded liquid hybrid over the classic library, exported for every firmware profile at
 * every precision the profile allows, run by the TypeScript reference and by both onnxruntime
 * engines on the same window, with their agreement and the quantisation error printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineName, getEngine } from '../../shared/engines/index.js';
import { OnnxError } from '../../shared/errors.js';
import { exportModel, writeBundle } from '../../shared/export/export.js';
import { quantizeWeights } from '../../shared/export/quantize-model.js';
import { classicLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import { runSequence } from '../../shared/model/reference.js';
import { saveModelDir } from '../../shared/model/store.js';
import { Rng } from '../../shared/numeric/rng.js';
import { listProfiles, loadProfile } from '../../shared/profiles.js';
import { type Command, intFlag, JSON_FLAG, optionalString } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

interface DemoRow {
  profile: string;
  quant: string;
  stepBytes: number;
  maxAbsNativeVsTs: number;
  maxAbsWasmVsTs: number;
  maxAbsVsFp32: number;
  boundVsFp32: number;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export const parityCommand: Command = {
  name: 'parity',
  summary: COMMAND_SUMMARIES.parity,
  usage: 'parity [--seed S] [--steps T] [--out DIR] [--json]',
  flags: {
    seed: { type: 'string', value: 'S', description: 'random seed', default: '1' },
    steps: { type: 'string', value: 'T', description: 'length of the evaluation window', default: '64' },
    out: {
      type: 'string',
      value: 'DIR',
      description: 'where to keep the model and bundles (default: a temp dir)',
    },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const seed = intFlag(ctx.flags, 'seed', 0);
    const T = intFlag(ctx.flags, 'steps', 1);
    const out = optionalString(ctx.flags, 'out') ?? mkdtempSync(join(tmpdir(), 'liquidkan-parity-'));
    const library = classicLibrary();
    ctx.info(
      `liquidkan parity: library v${library.version} (${library.entries.map((e) => e.name).join(', ')})`,
    );
    const model = initModel({ library, inputs: 8, hidden: 32, outputs: 1, seed, activation: 'tanh' });
    saveModelDir(join(out, 'model'), model, 'liquidkan parity');
    ctx.info(
      `model: 8 inputs → dense 32 (tanh) → liquid 32 (tanh) → 1 output, seed ${seed} → ${join(out, 'model')}`,
    );
    const rng = new Rng(seed + 1);
    const x = new Float64Array(T * model.inputs).map(() => rng.normal());
    const fp32 = runSequence(model, x);
    const engines = await Promise.all((['native', 'wasm'] as EngineName[]).map((n) => getEngine(n)));
    const rows: DemoRow[] = [];
    for (const name of listProfiles()) {
      const profile = loadProfile(name);
      for (const quant of profile.quantization.allowed) {
        const bundle = exportModel(model, { profile, quant, createdBy: 'liquidkan parity' });
        writeBundle(join(out, 'export', `${name}-${quant}`), bundle);
        const ts = runSequence(quant === 'fp32' ? model : quantizeWeights(model, quant).model, x);
        const diffs: number[] = [];
        for (const engine of engines) {
          const s = await engine.load(bundle.files['sequence.onnx'] as Uint8Array, {
            threads: profile.threads,
          });
          const r = await s.run({
            input: { data: Float32Array.from(x), dims: [1, T, model.inputs] },
            dt: { data: new Float32Array(T).fill(model.dtDefault), dims: [1, T, 1] },
            state: {
              data: new Float32Array(bundle.manifest.model.stateWidth),
              dims: [1, bundle.manifest.model.stateWidth],
            },
          });
          diffs.push(maxAbs(r['output']!.data, ts));
          await s.release();
        }
        rows.push({
          profile: name,
          quant,
          stepBytes: bundle.manifest.step.file.bytes,
          maxAbsNativeVsTs: diffs[0]!,
          maxAbsWasmVsTs: diffs[1]!,
          maxAbsVsFp32: maxAbs(ts, fp32),
          boundVsFp32: bundle.manifest.accuracy.boundVsFp32,
        });
      }
    }
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ out, steps: T, rows }));
      return;
    }
    ctx.info(`\nexported to ${join(out, 'export')}; a ${T}-step window through each engine:`);
    ctx.info('profile           quant  model.onnx  native vs ts  wasm vs ts  quant vs fp32  (bound)');
    for (const r of rows) {
      const e = (v: number) => v.toExponential(1).padStart(9);
      ctx.info(
        `${r.profile.padEnd(17)} ${r.quant.padEnd(5)} ${String(r.stepBytes).padStart(8)} B  ${e(r.maxAbsNativeVsTs)}    ${e(r.maxAbsWasmVsTs)}  ${e(r.maxAbsVsFp32)}    (${r.boundVsFp32.toExponential(1)})`,
      );
    }
    const worst = Math.max(...rows.map((r) => Math.max(r.maxAbsNativeVsTs, r.maxAbsWasmVsTs)));
    if (worst > 1e-4) {
      throw new OnnxError(
        `an engine disagrees with the TypeScript reference by ${worst.toExponential(2)} (> 1e-4)`,
      );
    }
    ctx.info(`\nworst engine-vs-reference difference over every bundle: ${worst.toExponential(2)}`);
  },
};
