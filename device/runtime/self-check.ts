/**
 * The compiled engine's check before it serves: the bundle's own parity samples (the seeded probe
 * the exporter measures quantisation with, in the model's input units) run through the candidate
 * step by step with the state carried, and through a reference: onnxruntime when one is loaded in
 * this process, and always the TypeScript reference on the weights the file holds (the dequantised
 * int8 / rounded fp16 matrices the export's parity tests pin to onnxruntime within 1e-5). Every
 * output and state value must agree within the tolerance; a check that fails names the largest
 * difference and where it happened.
 */

import type { EngineName, EngineSession } from '../../shared/engines/engine.js';
import { quantizeWeights } from '../../shared/export/quantize-model.js';
import type { HybridModel } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import { Rng } from '../../shared/numeric/rng.js';
import type { LoadedModel } from './bundle.js';

/** Steps of the parity probe. */
export const PARITY_STEPS = 32;
/** Agreement required, relative to the size of the reference values (absolute below 1). */
export const PARITY_TOLERANCE = 1e-4;

export interface ParityRun {
  /** [steps, outputs] */
  readonly outputs: Float64Array;
  /** [steps, stateWidth] */
  readonly states: Float64Array;
}

export interface SelfCheck {
  /** What the candidate was compared with. */
  readonly reference: EngineName | 'typescript';
  readonly steps: number;
  readonly maxAbsDiff: number;
  readonly tolerance: number;
  /** Where the largest difference happened, e.g. "output[0] at step 12". */
  readonly where: string;
  readonly passed: boolean;
}

/** The probe: inputs mean + std·N(0, 1) per column (the model's input scaling, if any), Δt default. */
export function parityProbe(model: HybridModel, steps = PARITY_STEPS): Float64Array {
  const rng = new Rng(0x5eed ^ model.seed);
  const x = new Float64Array(steps * model.inputs);
  const sc = model.scaling;
  for (let i = 0; i < x.length; i++) {
    const j = i % model.inputs;
    const z = rng.normal();
    x[i] = sc ? sc.inputMean[j]! + sc.inputStd[j]! * z : z;
  }
  return x;
}

/** The TypeScript reference on the weights the bundle's ONNX file holds. */
export function referenceRun(loaded: LoadedModel, probe: Float64Array): ParityRun {
  const fp16 = new Set(
    Object.entries(loaded.manifest.weightPrecision ?? {}).flatMap(([name, p]) =>
      p === 'fp16' && loaded.quant === 'int8' ? [name] : [],
    ),
  );
  const model = quantizeWeights(loaded.model, loaded.quant, fp16).model;
  const r = new ReferenceRunner(model, 1);
  r.setTau(loaded.manifest.tau.default);
  const m = loaded.manifest.model;
  const steps = probe.length / m.inputs;
  const outputs = new Float64Array(steps * m.outputs);
  const states = new Float64Array(steps * m.stateWidth);
  const row = new Float64Array(m.outputs);
  for (let t = 0; t < steps; t++) {
    r.step(probe.subarray(t * m.inputs, (t + 1) * m.inputs), m.dtDefault, row);
    outputs.set(row, t * m.outputs);
    states.set(r.state.subarray(0, m.stateWidth), t * m.stateWidth);
  }
  return { outputs, states };
}

/** The probe through an engine session's step graph, state carried from zero. */
export async function sessionRun(
  session: EngineSession,
  loaded: LoadedModel,
  probe: Float64Array,
): Promise<ParityRun> {
  const m = loaded.manifest.model;
  const steps = probe.length / m.inputs;
  const outputs = new Float64Array(steps * m.outputs);
  const states = new Float64Array(steps * m.stateWidth);
  let state = new Float32Array(m.stateWidth);
  for (let t = 0; t < steps; t++) {
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
      input: {
        data: Float32Array.from(probe.subarray(t * m.inputs, (t + 1) * m.inputs)),
        dims: [1, m.inputs],
      },
      dt: { data: Float32Array.of(m.dtDefault), dims: [1, 1] },
    };
    if (m.stateWidth > 0) feeds['state'] = { data: state, dims: [1, m.stateWidth] };
    const out = await session.run(feeds);
    outputs.set(out['output']!.data, t * m.outputs);
    if (m.stateWidth > 0) {
      state = Float32Array.from(out['state_out']!.data);
      states.set(state, t * m.stateWidth);
    }
  }
  return { outputs, states };
}

/** Compares a candidate's run with a reference run. */
export function compareRuns(
  candidate: ParityRun,
  reference: ParityRun,
  referenceName: SelfCheck['reference'],
  widths: { outputs: number; stateWidth: number },
): SelfCheck {
  let scale = 1;
  for (const v of reference.outputs) scale = Math.max(scale, Math.abs(v));
  for (const v of reference.states) scale = Math.max(scale, Math.abs(v));
  const tolerance = PARITY_TOLERANCE * scale;
  let max = -1;
  let where = 'nowhere';
  const scan = (a: Float64Array, b: Float64Array, name: string, width: number) => {
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      // NaN anywhere is the largest difference there is
      const dd = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
      if (dd > max) {
        max = dd;
        where = `${name}[${i % width}] at step ${Math.floor(i / width)} (${a[i]} vs ${b[i]})`;
      }
    }
  };
  scan(candidate.outputs, reference.outputs, 'output', widths.outputs);
  if (widths.stateWidth > 0) scan(candidate.states, reference.states, 'state_out', widths.stateWidth);
  const steps = reference.outputs.length / widths.outputs;
  return { reference: referenceName, steps, maxAbsDiff: max, tolerance, where, passed: max <= tolerance };
}

/**
 * Checks `candidate` against the TypeScript reference and, when given, a loaded onnxruntime
 * session. Returns every comparison, the failing one first.
 */
export async function selfCheck(
  candidate: EngineSession,
  loaded: LoadedModel,
  ort: EngineSession | null,
): Promise<SelfCheck[]> {
  const probe = parityProbe(loaded.model);
  const mine = await sessionRun(candidate, loaded, probe);
  const widths = loaded.manifest.model;
  const checks = [compareRuns(mine, referenceRun(loaded, probe), 'typescript', widths)];
  if (ort) checks.push(compareRuns(mine, await sessionRun(ort, loaded, probe), ort.engine, widths));
  return checks.sort((a, b) => Number(a.passed) - Number(b.passed));
}
