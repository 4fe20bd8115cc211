/**
 * A liquid hybrid stepped one sample at a time on the compiled engine's float32 sequence kernels
 * (sequence.ts), with the surface of ReferenceRunner that online τ adaptation uses: the state, τ
 * (changeable at any step), each layer's pre-activations. τ adaptation runs its forward pass
 * here, so the predictions it learns from follow the float32 arithmetic the device serves
 * (device/adapt/sensitivity.ts); the model's semantics (input scaling, residual input, output
 * scaling, the selector's hard choice or soft mixture) are ReferenceRunner's.
 */
import { compileActivation } from '../../activations/compile.js';
import { ShapeError } from '../../errors.js';
import { tauFromRhoInto } from '../../liquid/cell.js';
import { stateWidth } from '../../model/layout.js';
import { type HybridModel, layerCandidates, param } from '../../model/model.js';
import { SelectorKernel, selectorWeightsInto } from '../../model/selector.js';
import {
  type ActivationKernel,
  compileActivationKernel,
  compileDrive,
  compileLiquid,
  type DriveKernel,
  type LiquidKernel,
} from './sequence.js';

interface StepLayer {
  readonly units: number;
  readonly drive: DriveKernel;
  readonly act: ActivationKernel;
  /** The hard choice's affine row, or the identity (the mixture carries its own). */
  readonly affine: readonly [number, number, number, number];
  readonly liquid: LiquidKernel | null;
  readonly tau: Float64Array | null;
  readonly tauMin: number;
  readonly tauMax: number;
  /** This layer's slice of the state (liquid layers). */
  readonly state: Float64Array | null;
  readonly driveBuf: Float64Array;
  readonly pre: Float64Array;
  readonly out: Float64Array;
}

/** The layer's activation: the generated kernel of its hard choice, or its soft mixture (rounded). */
function layerActivation(model: HybridModel, i: number) {
  const spec = model.layers[i]!;
  const s = spec.selector;
  const entries = layerCandidates(model, spec);
  const affine = param(model, `L${i}.affine`);
  if (s.mode === 'hard') {
    const k = s.chosen;
    const row = [affine[4 * k]!, affine[4 * k + 1]!, affine[4 * k + 2]!, affine[4 * k + 3]!] as const;
    return { act: compileActivationKernel(entries[k]!), affine: row };
  }
  const kernel = new SelectorKernel(entries.map((e) => compileActivation(e)));
  const w = new Float64Array(entries.length);
  selectorWeightsInto(param(model, `L${i}.logits`), s.temperature, s.mode, s.chosen, w);
  const act: ActivationKernel = (u, out) => {
    kernel.forwardInto(u, affine, w, out);
    for (let j = 0; j < out.length; j++) out[j] = Math.fround(out[j]!);
  };
  return { act, affine: [1, 0, 1, 0] as const };
}

export class CompiledModelStep {
  readonly model: HybridModel;
  /** Concatenated liquid states [stateWidth] (float32 values). */
  readonly state: Float64Array;
  readonly stateWidth: number;
  private readonly layers: StepLayer[];
  private readonly readout: DriveKernel;
  private readonly input: Float64Array;
  private readonly dt = new Float64Array(1);
  private readonly y: Float64Array;

  constructor(model: HybridModel) {
    this.model = model;
    this.stateWidth = stateWidth(model);
    this.state = new Float64Array(this.stateWidth);
    let width = model.inputs;
    let offset = 0;
    this.layers = model.layers.map((spec, i) => {
      const p = `L${i}`;
      const H = spec.units;
      const { act, affine } = layerActivation(model, i);
      const liquid = spec.kind === 'liquid';
      let tau: Float64Array | null = null;
      if (liquid) {
        tau = new Float64Array(H);
        tauFromRhoInto(param(model, `${p}.rho`), spec.tauMin, spec.tauMax, tau);
      }
      const layer: StepLayer = {
        units: H,
        drive: compileDrive(param(model, liquid ? `${p}.U` : `${p}.W`), param(model, `${p}.b`), width, H),
        act,
        affine,
        liquid: tau ? compileLiquid({ W: param(model, `${p}.W`), tau, streams: 1 }) : null,
        tau,
        tauMin: spec.kind === 'liquid' ? spec.tauMin : 0,
        tauMax: spec.kind === 'liquid' ? spec.tauMax : 0,
        state: liquid ? this.state.subarray(offset, offset + H) : null,
        driveBuf: new Float64Array(H),
        pre: new Float64Array(H),
        out: new Float64Array(H),
      };
      if (liquid) offset += H;
      width = H;
      return layer;
    });
    this.readout = compileDrive(param(model, 'readout.W'), param(model, 'readout.b'), width, model.outputs);
    this.input = new Float64Array(model.inputs);
    this.y = new Float64Array(model.outputs);
  }

  reset(): void {
    this.state.fill(0);
  }

  /** Layer i's pre-activations from the last step [units] (a view). */
  layerPreActivation(i: number): Float64Array {
    return this.layers[i]!.pre;
  }

  /** τ of every liquid neuron in layer order (a copy). */
  get tau(): Float64Array {
    const out = new Float64Array(this.stateWidth);
    let o = 0;
    for (const l of this.layers) {
      if (!l.tau) continue;
      out.set(l.tau, o);
      o += l.units;
    }
    return out;
  }

  /** Override τ; values are clamped into each layer's band (as ReferenceRunner.setTau). */
  setTau(values: ArrayLike<number>): void {
    if (values.length !== this.stateWidth) {
      throw new ShapeError(
        `setTau: got ${values.length} values, the model has ${this.stateWidth} liquid neurons`,
      );
    }
    let o = 0;
    for (const l of this.layers) {
      if (!l.tau) continue;
      for (let i = 0; i < l.units; i++) l.tau[i] = Math.min(l.tauMax, Math.max(l.tauMin, values[o + i]!));
      o += l.units;
    }
  }

  /** One step: input [inputs], out [outputs]; the state advances in place. Allocates nothing. */
  step(input: Float64Array, dt: number, out: Float64Array): void {
    const m = this.model;
    const sc = m.scaling;
    for (let c = 0; c < m.inputs; c++)
      this.input[c] = Math.fround(sc ? (input[c]! - sc.inputMean[c]!) / sc.inputStd[c]! : input[c]!);
    this.dt[0] = dt;
    let h = this.input;
    for (const l of this.layers) {
      const f = l.affine;
      if (l.liquid) {
        l.drive(h, 1, l.driveBuf);
        l.liquid(l.driveBuf, this.dt, l.state, l.state!, l.act, f[0], f[1], f[2], f[3], l.pre);
        h = l.state!;
      } else {
        l.drive(h, 1, l.pre);
        l.act(l.pre, l.out, f[0], f[1], f[2], f[3]);
        h = l.out;
      }
    }
    this.readout(h, 1, this.y);
    for (let r = 0; r < m.outputs; r++) {
      let y = this.y[r]!;
      if (m.residualInput !== undefined) y += this.input[m.residualInput]!;
      out[r] = sc ? y * sc.outputStd[r]! + sc.outputMean[r]! : y;
    }
  }
}
