/**
 * The TypeScript reference runner: float64 inference of a liquid hybrid, one step at a time,
 * for a batch of N independent streams. It is the ground truth the ONNX exports are compared
 * against, and fast enough to be the device's fallback. All buffers are allocated once here;
 * step() allocates nothing.
 */
import { compileActivation } from '../activations/index.js';
import { ShapeError } from '../errors.js';
import { liquidStepInto, tauFromRhoInto } from '../liquid/cell.js';
import type { LayerSpec } from '../types/model.js';
import { stateWidth } from './layout.js';
import { type HybridModel, layerCandidates, param } from './model.js';
import { SelectorKernel, selectorWeightsInto } from './selector.js';

interface CompiledLayer {
  readonly spec: LayerSpec;
  readonly inWidth: number;
  readonly W: Float64Array;
  readonly U: Float64Array | null;
  readonly b: Float64Array;
  readonly affine: Float64Array;
  readonly weights: Float64Array;
  readonly tau: Float64Array | null;
  readonly kernel: SelectorKernel;
  /** Offset of this layer's state inside the concatenated state row. */
  readonly stateOffset: number;
  readonly pre: Float64Array;
  readonly act: Float64Array;
}

/** y[r] (+)= Σ_c M[r, c]·v[vo + c] for M [rows, cols]: one matrix-vector product. */
function matvec(
  M: Float64Array,
  rows: number,
  cols: number,
  v: Float64Array,
  vo: number,
  y: Float64Array,
  yo: number,
  accumulate: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const mo = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += M[mo + c]! * v[vo + c]!;
    y[yo + r] = accumulate ? y[yo + r]! + s : s;
  }
}

/** The same product for every row n of a batch: v rows at vOffset + n·vStride, y rows [N, rows]. */
function matvecRows(
  M: Float64Array,
  rows: number,
  cols: number,
  v: Float64Array,
  vOffset: number,
  vStride: number,
  y: Float64Array,
  N: number,
  accumulate: boolean,
): void {
  for (let n = 0; n < N; n++) matvec(M, rows, cols, v, vOffset + n * vStride, y, n * rows, accumulate);
}

export class ReferenceRunner {
  readonly model: HybridModel;
  readonly batch: number;
  /** Concatenated liquid states, [batch, stateWidth]. */
  readonly state: Float64Array;
  readonly stateWidth: number;
  private readonly layers: CompiledLayer[];
  private readonly readoutW: Float64Array;
  private readonly readoutB: Float64Array;
  private readonly dtBuf: Float64Array;
  private readonly liquidNext: Float64Array;
  /** Standardised inputs when the model has a scaling, else null. */
  private readonly scaled: Float64Array | null;

  constructor(model: HybridModel, batch = 1) {
    this.model = model;
    this.batch = batch;
    this.stateWidth = stateWidth(model);
    this.state = new Float64Array(batch * this.stateWidth);
    this.dtBuf = new Float64Array(batch);
    let width = model.inputs;
    let offset = 0;
    let maxUnits = 1;
    this.layers = model.layers.map((spec, i) => {
      const p = `L${i}`;
      const K = spec.selector.candidates.length;
      const weights = new Float64Array(K);
      const s = spec.selector;
      selectorWeightsInto(param(model, `${p}.logits`), s.temperature, s.mode, s.chosen, weights);
      const kernel = new SelectorKernel(layerCandidates(model, spec).map((e) => compileActivation(e)));
      let tau: Float64Array | null = null;
      if (spec.kind === 'liquid') {
        tau = new Float64Array(spec.units);
        tauFromRhoInto(param(model, `${p}.rho`), spec.tauMin, spec.tauMax, tau);
      }
      const layer: CompiledLayer = {
        spec,
        inWidth: width,
        W: param(model, `${p}.W`),
        U: spec.kind === 'liquid' ? param(model, `${p}.U`) : null,
        b: param(model, `${p}.b`),
        affine: param(model, `${p}.affine`),
        weights,
        tau,
        kernel,
        stateOffset: offset,
        pre: new Float64Array(batch * spec.units),
        act: new Float64Array(batch * spec.units),
      };
      if (spec.kind === 'liquid') offset += spec.units;
      maxUnits = Math.max(maxUnits, spec.units);
      width = spec.units;
      return layer;
    });
    this.liquidNext = new Float64Array(batch * maxUnits);
    this.scaled = model.scaling ? new Float64Array(batch * model.inputs) : null;
    this.readoutW = param(model, 'readout.W');
    this.readoutB = param(model, 'readout.b');
  }

  reset(): void {
    this.state.fill(0);
  }

  /** Layer i's pre-activations (W·x + U·h + b) from the last step, [batch, units] (a view). */
  layerPreActivation(i: number): Float64Array {
    return this.layers[i]!.pre;
  }

  /** Layer i's output from the last step, for stream 0 (a view: read it before the next step). */
  layerOutput(i: number): Float64Array {
    const l = this.layers[i]!;
    if (l.spec.kind === 'dense') return l.act.subarray(0, l.spec.units);
    return this.state.subarray(l.stateOffset, l.stateOffset + l.spec.units);
  }

  /** τ of every liquid neuron, concatenated in layer order (a copy). */
  get tau(): Float64Array {
    const out = new Float64Array(this.stateWidth);
    for (const l of this.layers) if (l.tau) out.set(l.tau, l.stateOffset);
    return out;
  }

  /** Override τ (e.g. after online adaptation); values are clamped into each layer's band. */
  setTau(values: ArrayLike<number>): void {
    if (values.length !== this.stateWidth) {
      throw new ShapeError(
        `setTau: got ${values.length} values, the model has ${this.stateWidth} liquid neurons`,
      );
    }
    for (const l of this.layers) {
      if (!l.tau || l.spec.kind !== 'liquid') continue;
      for (let i = 0; i < l.tau.length; i++) {
        l.tau[i] = Math.min(l.spec.tauMax, Math.max(l.spec.tauMin, values[l.stateOffset + i]!));
      }
    }
  }

  /**
   * Advance every stream by one step. input [batch, inputs]; dt: one Δt for all, or [batch];
   * out [batch, outputs]. The state is updated in place.
   */
  step(input: Float64Array, dt: number | Float64Array, out: Float64Array): void {
    const N = this.batch;
    const m = this.model;
    if (input.length !== N * m.inputs) {
      throw new ShapeError(
        `step: input has ${input.length} values, expected batch ${N} × ${m.inputs} inputs`,
      );
    }
    if (typeof dt === 'number') this.dtBuf.fill(dt);
    else this.dtBuf.set(dt);
    let h = input;
    const sc = m.scaling;
    if (sc && this.scaled) {
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < m.inputs; c++) {
          const i = n * m.inputs + c;
          this.scaled[i] = (input[i]! - sc.inputMean[c]!) / sc.inputStd[c]!;
        }
      }
      h = this.scaled;
    }
    const xin = h;
    let hStride = m.inputs;
    let hOffset = 0;
    for (const l of this.layers) {
      const units = l.spec.units;
      if (l.spec.kind === 'dense') {
        matvecRows(l.W, units, l.inWidth, h, hOffset, hStride, l.pre, N, false);
      } else {
        // pre = W·x + U·h, x is this layer's slice of the state
        matvecRows(l.W, units, units, this.state, l.stateOffset, this.stateWidth, l.pre, N, false);
        matvecRows(l.U!, units, l.inWidth, h, hOffset, hStride, l.pre, N, true);
      }
      for (let n = 0; n < N; n++) for (let r = 0; r < units; r++) l.pre[n * units + r] += l.b[r]!;
      l.kernel.forwardInto(l.pre, l.affine, l.weights, l.act);
      if (l.spec.kind === 'liquid') {
        const x = this.liquidNext.subarray(0, N * units);
        for (let n = 0; n < N; n++) {
          for (let r = 0; r < units; r++)
            x[n * units + r] = this.state[n * this.stateWidth + l.stateOffset + r]!;
        }
        liquidStepInto(x, l.act, l.tau!, this.dtBuf, x);
        for (let n = 0; n < N; n++) {
          for (let r = 0; r < units; r++)
            this.state[n * this.stateWidth + l.stateOffset + r] = x[n * units + r]!;
        }
        h = this.state;
        hOffset = l.stateOffset;
        hStride = this.stateWidth;
      } else {
        h = l.act;
        hOffset = 0;
        hStride = units;
      }
    }
    const last = this.layers[this.layers.length - 1]!.spec.units;
    matvecRows(this.readoutW, m.outputs, last, h, hOffset, hStride, out, N, false);
    for (let n = 0; n < N; n++) {
      for (let r = 0; r < m.outputs; r++) {
        const i = n * m.outputs + r;
        let y = out[i]! + this.readoutB[r]!;
        if (m.residualInput !== undefined) y += xin[n * m.inputs + m.residualInput]!;
        out[i] = sc ? y * sc.outputStd[r]! + sc.outputMean[r]! : y;
      }
    }
  }
}

/**
 * Run one sequence from a zero state: inputs [T, inputs] row-major, dts [T] (default: the
 * model's dtDefault). Returns outputs [T, outputs].
 */
export function runSequence(model: HybridModel, inputs: Float64Array, dts?: Float64Array): Float64Array {
  const T = inputs.length / model.inputs;
  if (!Number.isInteger(T)) {
    throw new ShapeError(
      `runSequence: ${inputs.length} input values are not a whole number of ${model.inputs}-wide rows`,
    );
  }
  const runner = new ReferenceRunner(model, 1);
  const out = new Float64Array(T * model.outputs);
  const row = new Float64Array(model.outputs);
  for (let t = 0; t < T; t++) {
    runner.step(
      inputs.subarray(t * model.inputs, (t + 1) * model.inputs),
      dts ? dts[t]! : model.dtDefault,
      row,
    );
    out.set(row, t * model.outputs);
  }
  return out;
}
