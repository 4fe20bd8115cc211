/**
 * The compiled ('js') engine computes what onnxruntime computes on the same exported step graph:
 * every activation form (classic, symbolic, chebyshev, rational) under every tail policy it
 * allows, soft mixtures and hard choices, one and two liquid layers, raw-unit scaling with a
 * persistence skip, at fp32, fp16 and int8, over a sequence with the state carried and a
 * variable Δt. onnxruntime-node is the reference. Ops outside the compiled set are declined by name.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ActivationEntry,
  buildEntry,
  fitChebyshev,
  fitRationalFunction,
} from '../../../shared/activations/index.js';
import { type EngineSession, getEngine } from '../../../shared/engines/index.js';
import { exportModel } from '../../../shared/export/export.js';
import { makeLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { loadProfile } from '../../../shared/profiles.js';
import type { Quantization } from '../../../shared/types/profile.js';
import { perturbLogits, randomInputs, tinyModel } from '../../helpers/models.js';

const T = 20;
const QUANTS: Quantization[] = ['fp32', 'fp16', 'int8'];
const natural = { a: 1, b: 0, c: 1, d: 0 };
const provenance = { source: 'user' as const };

/** Every form under every tail it may take (extend only where the form is safe on ℝ). */
function entriesOfEveryTail(): ActivationEntry[] {
  const cheb = fitChebyshev((z) => Math.sin(3 * z) * Math.exp(-z * z), { tol: 1e-6 }).params;
  const rat = fitRationalFunction((z) => Math.tanh(3 * z) / Math.tanh(3)).params;
  const e = (name: string, form: ActivationEntry['form'], params: unknown, tail: ActivationEntry['tail']) =>
    buildEntry({ name, form, params: params as never, tail, natural, provenance });
  return [
    e('classic_gelu_linear', 'classic', { fn: 'gelu', alpha: 2, beta: 0.1, gamma: 0.7, delta: 0 }, 'linear'),
    e(
      'classic_softplus_constant',
      'classic',
      { fn: 'softplus', alpha: 2, beta: 0, gamma: 0.5, delta: -0.2 },
      'constant',
    ),
    e('sym_sin_linear', 'symbolic', { fn: 'sin', alpha: 2, beta: 0.3, gamma: 1, delta: 0 }, 'linear'),
    e('sym_x3_constant', 'symbolic', { fn: 'x3', alpha: 1, beta: 0, gamma: 1, delta: 0 }, 'constant'),
    e('sym_arctan_extend', 'symbolic', { fn: 'arctan', alpha: 3, beta: 0, gamma: 0.8, delta: 0 }, 'extend'),
    e('sym_gauss_extend', 'symbolic', { fn: 'gauss', alpha: 2, beta: 0, gamma: 2, delta: -1 }, 'extend'),
    e('sym_exp_linear', 'symbolic', { fn: 'exp', alpha: 1, beta: 0, gamma: 0.8, delta: -1.1 }, 'linear'),
    e('cheb_linear', 'chebyshev', cheb, 'linear'),
    e('cheb_constant', 'chebyshev', cheb, 'constant'),
    e('rat_linear', 'rational', rat, 'linear'),
    e('rat_constant', 'rational', rat, 'constant'),
    e('rat_extend', 'rational', rat, 'extend'),
  ];
}

function models(): [string, HybridModel][] {
  const lib = makeLibrary(entriesOfEveryTail(), 2);
  const soft = initModel({ library: lib, inputs: 3, hidden: 5, outputs: 2, seed: 13 });
  perturbLogits(soft, 6);
  const classics = tinyModel({ seed: 3 });
  perturbLogits(classics, 5);
  const hard = lib.entries.map(
    (entry) =>
      [
        `hard ${entry.name}`,
        initModel({ library: lib, inputs: 3, hidden: 4, outputs: 1, seed: 4, activation: entry.name }),
      ] as [string, HybridModel],
  );
  return [
    ['soft mixture of every form and tail', soft],
    ['soft mixture of every classic', classics],
    ['two liquid layers, hard gelu', tinyModel({ activation: 'gelu', liquidLayers: 2, seed: 9 })],
    [
      'raw-unit scaling and a persistence skip',
      {
        ...tinyModel({ activation: 'silu', seed: 21 }),
        scaling: { inputMean: [0.5, -1, 2], inputStd: [2, 0.5, 3], outputMean: [1, -2], outputStd: [3, 0.5] },
        residualInput: 1,
      },
    ],
    ...hard,
  ];
}

const sessions: EngineSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

/** Outputs and states of T steps from a zero state, both flattened. */
async function runSteps(s: EngineSession, model: HybridModel, x: Float64Array, dts: Float64Array, H: number) {
  let state: Float32Array = new Float32Array(H);
  const ys: number[] = [];
  const states: number[] = [];
  for (let t = 0; t < T; t++) {
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
      input: {
        data: Float32Array.from(x.subarray(t * model.inputs, (t + 1) * model.inputs)),
        dims: [1, model.inputs],
      },
      dt: { data: Float32Array.of(dts[t]!), dims: [1, 1] },
    };
    if (H > 0) feeds['state'] = { data: state, dims: [1, H] };
    const out = await s.run(feeds);
    ys.push(...out['output']!.data);
    if (H > 0) {
      state = out['state_out']!.data;
      states.push(...state);
    }
  }
  return { ys, states };
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('compiled (js) engine', () => {
  const profile = loadProfile('pi5');
  const rng = new Rng(2);
  const dts = Float64Array.from({ length: T }, () => rng.uniform(0.2, 2));

  for (const [label, model] of models()) {
    it.each(QUANTS)(`${label}, %s: matches onnxruntime-node step by step`, async (quant) => {
      const bundle = exportModel(model, { profile, quant });
      const bytes = bundle.files['model.onnx'] as Uint8Array;
      const H = bundle.manifest.model.stateWidth;
      // inputs wide enough to drive pre-activations past ±1, into every tail
      const x = randomInputs(1, T, model.inputs).map((v) => 2.5 * v);
      const js = await (await getEngine('js')).load(bytes);
      const ort = await (await getEngine('native')).load(bytes, { threads: 1 });
      sessions.push(js, ort);
      expect(js.engine).toBe('js');
      const a = await runSteps(js, model, x, dts, H);
      const b = await runSteps(ort, model, x, dts, H);
      const scale = Math.max(1, ...b.ys.map(Math.abs), ...b.states.map(Math.abs));
      expect(maxAbsDiff(a.ys, b.ys), 'output').toBeLessThan(2e-5 * scale);
      expect(maxAbsDiff(a.states, b.states), 'state').toBeLessThan(2e-5 * scale);
    });
  }

  it('uses the graph default for τ and takes an override, like onnxruntime', async () => {
    const model = tinyModel({ activation: 'tanh', seed: 1 });
    const bytes = exportModel(model, { profile, quant: 'fp32' }).files['model.onnx'] as Uint8Array;
    const js = await (await getEngine('js')).load(bytes);
    const ort = await (await getEngine('native')).load(bytes, { threads: 1 });
    sessions.push(js, ort);
    expect(js.inputNames).toEqual(ort.inputNames);
    expect(Array.from(js.defaults['tau']!.data)).toEqual(Array.from(ort.defaults['tau']!.data));
    const feeds = {
      input: { data: Float32Array.of(0.3, -1, 2), dims: [1, 3] },
      state: { data: new Float32Array(6).fill(0.5), dims: [1, 6] },
      dt: { data: Float32Array.of(0.7), dims: [1, 1] },
      tau: { data: new Float32Array(6).fill(3), dims: [6] },
    };
    const a = await js.run(feeds);
    const b = await ort.run(feeds);
    expect(maxAbsDiff([...a['state_out']!.data], [...b['state_out']!.data])).toBeLessThan(1e-6);
  });

  it('runs a batch of rows like onnxruntime', async () => {
    const model = tinyModel({ activation: 'tanh', seed: 2 });
    const bytes = exportModel(model, { profile, quant: 'int8' }).files['model.onnx'] as Uint8Array;
    const js = await (await getEngine('js')).load(bytes);
    const ort = await (await getEngine('native')).load(bytes, { threads: 1 });
    sessions.push(js, ort);
    const feeds = {
      input: { data: Float32Array.from(randomInputs(3, 4, 3)), dims: [4, 3] },
      state: { data: Float32Array.from(randomInputs(4, 4, 6)), dims: [4, 6] },
      dt: { data: Float32Array.of(0.5, 1, 1.5, 2), dims: [4, 1] },
    };
    const a = await js.run(feeds);
    const b = await ort.run(feeds);
    expect(a['output']!.dims).toEqual([4, 2]);
    expect(maxAbsDiff([...a['output']!.data], [...b['output']!.data])).toBeLessThan(1e-5);
    expect(maxAbsDiff([...a['state_out']!.data], [...b['state_out']!.data])).toBeLessThan(1e-5);
  });

  it('declines a graph with an op it does not compile, naming the node', async () => {
    const bundle = exportModel(tinyModel({ activation: 'tanh' }), { profile, quant: 'fp32' });
    const js = await getEngine('js');
    await expect(js.load(bundle.files['sequence.onnx'] as Uint8Array)).rejects.toThrow(
      /op Scan is not compiled/,
    );
    await expect(js.load(new Uint8Array([1, 2, 3]))).rejects.toThrow(/js engine/);
  });

  it('steps without allocating through the compiled function', async () => {
    const bytes = exportModel(tinyModel({ activation: 'tanh' }), { profile, quant: 'fp32' }).files[
      'model.onnx'
    ] as Uint8Array;
    const js = await (await getEngine('js')).load(bytes);
    const c = js.compiled!;
    expect(Object.keys(c.inputs).sort()).toEqual(['dt', 'input', 'state', 'tau']);
    c.inputs['dt']![0] = 1;
    c.inputs['input']!.set([0.1, 0.2, 0.3]);
    c.step();
    const first = c.outputs['output']!.slice();
    expect(first.every(Number.isFinite)).toBe(true);
    c.step();
    // same inputs, same outputs: the function keeps no hidden state of its own
    expect(Array.from(c.outputs['output']!)).toEqual(Array.from(first));
  });
});
