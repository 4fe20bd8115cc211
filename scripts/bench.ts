/**
 * `npm run bench [-- --json]`: per-step latency of a 32-neuron, 8-input liquid hybrid (hard tanh,
 * as deployed) in the TypeScript reference and in onnxruntime (step graph per call, sequence
 * graph per step) and in the compiled ('js') engine, fp32 and int8, plus file sizes; for 'native' also the step graph through
 * onnxruntime's public run() (engine fast path off) and at optimisation level 'all'. Everything
 * is measured side by side in one run and reported with ratios, since absolute times on a shared
 * machine are noisy.
 */
import { performance } from 'node:perf_hooks';
import { StepSession } from '../device/runtime/step-session.js';
import { type EngineName, type EngineSession, getEngine } from '../shared/engines/index.js';
import { exportModel } from '../shared/export/export.js';
import { classicLibrary } from '../shared/library/library.js';
import { initModel } from '../shared/model/init.js';
import { ReferenceRunner } from '../shared/model/reference.js';
import { Rng } from '../shared/numeric/rng.js';
import { loadProfile } from '../shared/profiles.js';
import type { Quantization } from '../shared/types/profile.js';
import { attackCloud, benchAttacks } from './bench-attacks.js';
import { benchDevice } from './bench-device.js';
import { benchDiscovery } from './bench-discovery.js';
import { benchFleet } from './bench-fleet.js';
import { benchFleetScale } from './bench-fleet-scale.js';
import { fleetWorker } from './bench-fleet-worker.js';
import { benchFootprint } from './bench-footprint.js';
import { benchKan } from './bench-kan.js';
import { benchSelect } from './bench-select.js';
import { benchTraining } from './bench-training.js';
import { benchVoice } from './bench-voice.js';

interface Stats {
  p50_us: number;
  p99_us: number;
  mean_us: number;
  samples: number;
}

function stats(samplesUs: number[]): Stats {
  const s = [...samplesUs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { p50_us: r(q(0.5)), p99_us: r(q(0.99)), mean_us: r(mean), samples: s.length };
}

const INPUTS = 8;
const HIDDEN = 32;
const STEP_CALLS = Number(process.env['LK_BENCH_STEPS'] ?? 5000);
const WINDOW = 256;
const WINDOW_RUNS = Number(process.env['LK_BENCH_WINDOWS'] ?? 60);

async function benchStepGraph(session: EngineSession, x: Float32Array): Promise<Stats> {
  let state = new Float32Array(HIDDEN);
  const dt = Float32Array.of(1);
  const times: number[] = [];
  for (let i = 0; i < STEP_CALLS + 200; i++) {
    const input = x.subarray((i % WINDOW) * INPUTS, ((i % WINDOW) + 1) * INPUTS);
    const t0 = performance.now();
    const out = await session.run({
      input: { data: input, dims: [1, INPUTS] },
      state: { data: state, dims: [1, HIDDEN] },
      dt: { data: dt, dims: [1, 1] },
    });
    const t1 = performance.now();
    state = out['state_out']!.data as Float32Array<ArrayBuffer>;
    if (i >= 200) times.push((t1 - t0) * 1000);
  }
  return stats(times);
}

async function benchSequenceGraph(session: EngineSession, x: Float32Array): Promise<Stats> {
  const dt = new Float32Array(WINDOW).fill(1);
  const state = new Float32Array(HIDDEN);
  const times: number[] = [];
  for (let i = 0; i < WINDOW_RUNS + 5; i++) {
    const t0 = performance.now();
    await session.run({
      input: { data: x, dims: [1, WINDOW, INPUTS] },
      state: { data: state, dims: [1, HIDDEN] },
      dt: { data: dt, dims: [1, WINDOW, 1] },
    });
    const t1 = performance.now();
    if (i >= 5) times.push(((t1 - t0) * 1000) / WINDOW);
  }
  return stats(times);
}

function benchReference(runner: ReferenceRunner, x: Float64Array): Stats {
  const out = new Float64Array(1);
  const times: number[] = [];
  // per-step times are too short to time one by one reliably; time blocks of 16 steps
  const block = 16;
  for (let i = 0; i < (STEP_CALLS * 4) / block + 100; i++) {
    const t0 = performance.now();
    for (let k = 0; k < block; k++) {
      const j = (i * block + k) % WINDOW;
      runner.step(x.subarray(j * INPUTS, (j + 1) * INPUTS), 1, out);
    }
    const t1 = performance.now();
    if (i >= 100) times.push(((t1 - t0) * 1000) / block);
  }
  return stats(times);
}

async function benchOnnx(): Promise<Record<string, unknown>> {
  const model = initModel({
    library: classicLibrary(),
    inputs: INPUTS,
    hidden: HIDDEN,
    outputs: 1,
    seed: 1,
    activation: 'tanh',
  });
  const rng = new Rng(42);
  const x64 = new Float64Array(WINDOW * INPUTS).map(() => rng.normal());
  const x32 = Float32Array.from(x64);
  const profile = loadProfile('pi5');
  const result: Record<string, unknown> = {
    model: { inputs: INPUTS, hidden: HIDDEN, outputs: 1, activation: 'tanh', threads: 1 },
  };
  const ts = benchReference(new ReferenceRunner(model, 1), x64);
  result['ts_reference_step'] = ts;
  const files: Record<string, number> = {};
  const engines: Record<string, unknown> = {};
  for (const quant of ['fp32', 'int8'] as Quantization[]) {
    const bundle = exportModel(model, { profile, quant });
    files[quant] = bundle.manifest.step.file.bytes;
    for (const name of ['native', 'wasm'] as EngineName[]) {
      const engine = await getEngine(name);
      const step = await engine.load(bundle.files['model.onnx'] as Uint8Array, { threads: 1 });
      const seq = await engine.load(bundle.files['sequence.onnx'] as Uint8Array, { threads: 1 });
      const s = await benchStepGraph(step, x32);
      const q = await benchSequenceGraph(seq, x32);
      engines[`${name}_${quant}`] = {
        step_graph: s,
        sequence_graph_per_step: q,
        sequence_per_step_over_ts: Math.round((q.p50_us / ts.p50_us) * 100) / 100,
      };
      await step.release();
      await seq.release();
      if (name !== 'native') continue;
      // Side by side on the same model: onnxruntime's public run() (no engine fast path), and the
      // 'all' optimisation level (parity tests and the default use 'basic').
      for (const [label, options] of [
        ['public_run', { threads: 1, fastPath: false }],
        ['opt_all', { threads: 1, optimization: 'all' }],
      ] as const) {
        const s2 = await engine.load(bundle.files['model.onnx'] as Uint8Array, options);
        engines[`${name}_${quant}_${label}`] = { step_graph: await benchStepGraph(s2, x32) };
        await s2.release();
      }
    }
  }
  result['onnxruntime'] = engines;
  result['compiled'] = await benchCompiled(model, profile, x64, x32, engines);
  result['file_bytes'] = {
    ...files,
    int8_over_fp32: Math.round((files['int8']! / files['fp32']!) * 1000) / 1000,
  };
  const native = engines['native_fp32'] as { step_graph: Stats; sequence_per_step_over_ts: number };
  const compiled = result['compiled'] as {
    fp32: { kernel: Stats };
    kernel_speedup_over_native_step_graph: number;
  };
  result['targets'] = {
    compiled_step_p50_le_5us: compiled.fp32.kernel.p50_us <= 5,
    compiled_step_p99_le_20us: compiled.fp32.kernel.p99_us <= 20,
    compiled_ge_5x_native_step_graph: compiled.kernel_speedup_over_native_step_graph >= 5,
    sequence_per_step_within_1_5x_ts: native.sequence_per_step_over_ts <= 1.5,
    step_graph_p50_le_15us: native.step_graph.p50_us <= 15,
    int8_file_le_35pct: (result['file_bytes'] as { int8_over_fp32: number }).int8_over_fp32 <= 0.35,
  };
  return result;
}

/** Per-call times of `f` (after a warm-up), µs. */
function timeCalls(f: () => void, calls = STEP_CALLS * 4): Stats {
  for (let i = 0; i < 2000; i++) f();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) * 1000);
  }
  return stats(times);
}

/**
 * The compiled ('js') engine on the same bundles: its step function alone (what a step costs the
 * device), through the device's StepSession, and through the Engine interface's run() like the
 * onnxruntime figures above. Ratios against onnxruntime-node's step graph measured in this run.
 */
async function benchCompiled(
  model: ReturnType<typeof initModel>,
  profile: ReturnType<typeof loadProfile>,
  x64: Float64Array,
  x32: Float32Array,
  engines: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const quant of ['fp32', 'int8'] as Quantization[]) {
    const bundle = exportModel(model, { profile, quant });
    const session = await (await getEngine('js')).load(bundle.files['model.onnx'] as Uint8Array);
    const c = session.compiled!;
    c.inputs['dt']![0] = 1;
    let i = 0;
    const kernel = timeCalls(() => {
      const j = i++ % WINDOW;
      c.inputs['input']!.set(x32.subarray(j * INPUTS, (j + 1) * INPUTS));
      c.inputs['state']!.set(c.outputs['state_out']!);
      c.step();
    });
    const step = new StepSession(session, { inputs: INPUTS, outputs: 1, stateWidth: HIDDEN });
    const stepTimes: number[] = [];
    for (let k = 0; k < STEP_CALLS + 200; k++) {
      const j = k % WINDOW;
      const row = x64.subarray(j * INPUTS, (j + 1) * INPUTS);
      const t0 = performance.now();
      await step.step(row, 1);
      if (k >= 200) stepTimes.push((performance.now() - t0) * 1000);
    }
    out[quant] = { kernel, step_session: stats(stepTimes), engine_run: await benchStepGraph(session, x32) };
  }
  const native = (engines['native_fp32'] as { step_graph: Stats }).step_graph;
  const fp32 = out['fp32'] as { kernel: Stats; step_session: Stats };
  out['kernel_speedup_over_native_step_graph'] = Math.round((native.p50_us / fp32.kernel.p50_us) * 10) / 10;
  out['step_session_speedup_over_native_step_graph'] =
    Math.round((native.p50_us / fp32.step_session.p50_us) * 10) / 10;
  return out;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const result: Record<string, unknown> = { machine: { node: process.version, arch: process.arch } };
  if (wanted('onnx')) result['onnx'] = await benchOnnx();
  if (wanted('kan')) result['kan'] = await benchKan();
  if (wanted('discovery')) result['discovery'] = await benchDiscovery();
  if (wanted('training')) result['training'] = await benchTraining();
  if (wanted('select')) result['select'] = await benchSelect();
  if (wanted('device')) result['device'] = await benchDevice();
  if (wanted('fleet')) result['fleet'] = await benchFleet();
  if (wanted('fleet-scale')) result['fleet-scale'] = await benchFleetScale();
  if (wanted('footprint')) result['footprint'] = await benchFootprint();
  if (wanted('voice')) result['voice'] = await benchVoice();
  if (wanted('attacks')) result['attacks'] = await benchAttacks();
  process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : summarize(result));
}

/** A readable digest: every section's targets, then its figures. */
function summarize(result: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [section, value] of Object.entries(result)) {
    if (section === 'machine') continue;
    const v = value as Record<string, unknown>;
    lines.push(`${section}:`);
    if (v['targets']) lines.push(`  targets ${JSON.stringify(v['targets'])}`);
    for (const [k, x] of Object.entries(v)) if (k !== 'targets') lines.push(`  ${k}: ${JSON.stringify(x)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `--only a,b` limits the run to those sections (onnx, kan, discovery, training, select, device,
 * fleet, fleet-scale, footprint, voice, attacks).
 */
function wanted(section: string): boolean {
  const i = process.argv.indexOf('--only');
  return i < 0 || (process.argv[i + 1] ?? '').split(',').includes(section);
}

// bench-fleet.ts forks this same script as its simulated-device processes
if (process.argv.includes('--fleet-worker')) await fleetWorker();
else if (process.argv.includes('--attack-cloud')) await attackCloud();
else await main();
