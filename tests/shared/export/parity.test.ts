/**
 * The exported ONNX files compute what the TypeScript reference computes: every file passes the
 * reference checker (full_check), and onnxruntime-node and onnxruntime-web (wasm) agree with the
 * float64 reference within 1e-5 (fp32), or within the bound derived from the quantisation step
 * (fp16, int8) — and exactly like the reference run on the dequantised weights.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineName, type EngineSession, getEngine } from '../../../shared/engines/index.js';
import { exportModel } from '../../../shared/export/export.js';
import type { PrecisionBudget } from '../../../shared/export/mixed-precision.js';
import { quantizationBound } from '../../../shared/export/quant-bound.js';
import { quantizeWeights } from '../../../shared/export/quantize-model.js';
import { makeLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { ReferenceRunner } from '../../../shared/model/reference.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { loadProfile } from '../../../shared/profiles.js';
import type { Quantization } from '../../../shared/types/profile.js';
import { entriesOfEveryForm, perturbLogits, randomInputs, tinyModel } from '../../helpers/models.js';
import { checkOnnx } from '../../helpers/onnx-checker.js';
import { TOOLS } from '../../helpers/system-tools.js';

const T = 24;
const ENGINES: EngineName[] = ['native', 'wasm'];
const QUANTS: Quantization[] = ['fp32', 'fp16', 'int8'];

function models(): Record<string, HybridModel> {
  const soft = tinyModel({ seed: 3 });
  perturbLogits(soft, 5);
  const forms = initModel({
    library: makeLibrary(entriesOfEveryForm(), 2),
    inputs: 3,
    hidden: 5,
    outputs: 2,
    seed: 13,
  });
  perturbLogits(forms, 6);
  return {
    'hard tanh': tinyModel({ activation: 'tanh' }),
    'soft mixture of symbolic, chebyshev and rational forms': forms,
    'soft mixture of every classic': soft,
    'two liquid layers, hard gelu': tinyModel({ activation: 'gelu', liquidLayers: 2, seed: 9 }),
    'raw-unit scaling and a persistence skip': {
      ...tinyModel({ activation: 'silu', seed: 21 }),
      scaling: { inputMean: [0.5, -1, 2], inputStd: [2, 0.5, 3], outputMean: [1, -2], outputStd: [3, 0.5] },
      residualInput: 1,
    },
  };
}

/** Reference outputs [T, outputs] and final state for one sequence with per-step Δt and τ. */
function reference(model: HybridModel, x: Float64Array, dts: Float64Array, tau?: Float64Array) {
  const r = new ReferenceRunner(model, 1);
  if (tau) r.setTau(tau);
  const y = new Float64Array(T * model.outputs);
  const row = new Float64Array(model.outputs);
  for (let t = 0; t < T; t++) {
    r.step(x.subarray(t * model.inputs, (t + 1) * model.inputs), dts[t]!, row);
    y.set(row, t * model.outputs);
  }
  return { y, state: r.state.slice() };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function runSequenceGraph(
  s: EngineSession,
  model: HybridModel,
  x: Float64Array,
  dts: Float64Array,
  H: number,
  tau?: Float64Array,
) {
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
    input: { data: Float32Array.from(x), dims: [1, T, model.inputs] },
    dt: { data: Float32Array.from(dts), dims: [1, T, 1] },
    state: { data: new Float32Array(H), dims: [1, H] },
  };
  if (tau) feeds['tau'] = { data: Float32Array.from(tau), dims: [H] };
  return s.run(feeds);
}

async function runStepGraph(
  s: EngineSession,
  model: HybridModel,
  x: Float64Array,
  dts: Float64Array,
  H: number,
) {
  let state: Float32Array = new Float32Array(H);
  const y = new Float64Array(T * model.outputs);
  for (let t = 0; t < T; t++) {
    const out = await s.run({
      input: {
        data: Float32Array.from(x.subarray(t * model.inputs, (t + 1) * model.inputs)),
        dims: [1, model.inputs],
      },
      state: { data: state, dims: [1, H] },
      dt: { data: Float32Array.of(dts[t]!), dims: [1, 1] },
    });
    y.set(out['output']!.data, t * model.outputs);
    state = out['state_out']!.data;
  }
  return { y, state };
}

describe('ONNX export parity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-parity-'));
  const files: string[] = [];
  const sessions: EngineSession[] = [];
  const profile = loadProfile('pi5');
  const x = randomInputs(1, T, 3);
  const dts = new Float64Array(T);
  const rng = new Rng(2);
  for (let t = 0; t < T; t++) dts[t] = rng.uniform(0.2, 2); // variable Δt

  beforeAll(async () => {
    // both runtimes must load here: a parity check against one engine only would prove little
    for (const e of ENGINES) {
      const engine = await getEngine(e);
      expect(engine.name).toBe(e);
      await engine.init();
    }
  });
  afterAll(async () => {
    for (const s of sessions) await s.release();
  });

  /** Both engines, step and sequence graphs, against the reference on the file's weights. */
  async function expectParity(
    label: string,
    model: HybridModel,
    quant: Quantization,
    budget?: PrecisionBudget,
  ) {
    const bundle = exportModel(model, { profile, quant, ...(budget ? { precisionBudget: budget } : {}) });
    const stem = join(dir, `${label.replace(/\W+/g, '_')}_${quant}`);
    for (const f of ['model.onnx', 'sequence.onnx']) {
      writeFileSync(`${stem}_${f}`, bundle.files[f]!);
      files.push(`${stem}_${f}`);
    }
    const H = bundle.manifest.model.stateWidth;
    const fp16 = new Set(
      Object.entries(bundle.manifest.weightPrecision ?? {}).flatMap(([n, p]) =>
        p === 'fp16' && quant === 'int8' ? [n] : [],
      ),
    );
    const qw = quantizeWeights(model, quant, fp16);
    const exact = reference(quant === 'fp32' ? model : qw.model, x, dts);
    const full = reference(model, x, dts);
    const xin = x;
    const bound = quantizationBound(model, qw, xin, dts);
    for (const engine of ENGINES) {
      const eng = await getEngine(engine);
      const seq = await eng.load(bundle.files['sequence.onnx'] as Uint8Array, { threads: 1 });
      const step = await eng.load(bundle.files['model.onnx'] as Uint8Array, { threads: 1 });
      sessions.push(seq, step);
      const so = await runSequenceGraph(seq, model, x, dts, H);
      const st = await runStepGraph(step, model, x, dts, H);
      // same arithmetic as the reference on the weights the file holds: float32 rounding,
      // so the tolerance is 1e-5 relative to the outputs' size (absolute below 1)
      const tol = 1e-5 * Math.max(1, ...Array.from(exact.y, Math.abs), ...Array.from(exact.state, Math.abs));
      expect(maxAbsDiff(so['output']!.data, exact.y), `${engine} sequence`).toBeLessThan(tol);
      expect(maxAbsDiff(so['state_out']!.data, exact.state), `${engine} sequence state`).toBeLessThan(tol);
      expect(maxAbsDiff(st.y, exact.y), `${engine} step`).toBeLessThan(tol);
      expect(maxAbsDiff(st.state, exact.state), `${engine} step state`).toBeLessThan(tol);
      // against full precision: within the bound derived from the quantisation step
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < model.outputs; j++) {
          const err = Math.abs(so['output']!.data[t * model.outputs + j]! - full.y[t * model.outputs + j]!);
          expect(err, `${engine} t=${t}`).toBeLessThanOrEqual(bound[t]! * 1.01 + 1e-5);
        }
      }
    }
    if (quant !== 'fp32') expect(maxAbsDiff(exact.y, full.y)).toBeGreaterThan(0);
    return bundle;
  }

  for (const [label, model] of Object.entries(models())) {
    for (const quant of QUANTS) {
      it(`${label}, ${quant}: both engines match the reference, step and sequence graphs`, () =>
        expectParity(label, model, quant));
    }
  }

  it('int8 with the readout kept at fp16 (mixed precision): both engines match the reference', async () => {
    const model = tinyModel({ activation: 'tanh', seed: 5 });
    const fp32Readout = Float64Array.from(model.params.get('readout.W')!, (v) => Math.fround(v));
    // a validation loss that only the readout's rounding moves
    const budget: PrecisionBudget = {
      validationLoss: (m) =>
        1 + Array.from(m.params.get('readout.W')!).reduce((a, v, i) => a + Math.abs(v - fp32Readout[i]!), 0),
    };
    const bundle = await expectParity('mixed readout fp16', model, 'int8', budget);
    expect(bundle.manifest.weightPrecision).toEqual({
      'L0.W': 'int8',
      'L1.W': 'int8',
      'L1.U': 'int8',
      'readout.W': 'fp16',
    });
    // within budget: nothing kept
    expect(
      exportModel(model, { profile, quant: 'int8', precisionBudget: { ...budget, relative: 10 } }).manifest
        .weightPrecision,
    ).toEqual({
      'L0.W': 'int8',
      'L1.W': 'int8',
      'L1.U': 'int8',
      'readout.W': 'int8',
    });
  });

  it('lets the device override τ without rebuilding, on both engines', async () => {
    const model = tinyModel({ activation: 'tanh' });
    const bundle = exportModel(model, { profile, quant: 'fp32' });
    const H = bundle.manifest.model.stateWidth;
    const tau = new Float64Array(H).map((_, i) => 0.5 + i);
    const want = reference(model, x, dts, tau);
    const dflt = reference(model, x, dts);
    for (const engine of ENGINES) {
      const s = await (await getEngine(engine)).load(bundle.files['sequence.onnx'] as Uint8Array, {
        threads: 1,
      });
      sessions.push(s);
      const got = await runSequenceGraph(s, model, x, dts, H, tau);
      expect(maxAbsDiff(got['output']!.data, want.y)).toBeLessThan(1e-5);
      expect(maxAbsDiff(got['output']!.data, dflt.y)).toBeGreaterThan(1e-3);
      const back = await runSequenceGraph(s, model, x, dts, H);
      expect(maxAbsDiff(back['output']!.data, dflt.y)).toBeLessThan(1e-5);
    }
  });

  it.skipIf(TOOLS.onnxChecker())('writes files that pass onnx.checker.check_model(full_check=True)', () => {
    expect(files.length).toBe((Object.keys(models()).length * QUANTS.length + 1) * 2);
    checkOnnx(files);
  });
});
