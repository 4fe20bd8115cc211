/**
 * Forward sensitivities of a liquid hybrid's output with respect to log τ: real-time recurrent
 * learning restricted to the time constants. With θ = log τ [P] (every liquid neuron, layer
 * order) and S_l = ∂x_l/∂θ [H_l, P] for liquid layer l, one step of
 *
 *     x'_i = e_i·x_i + τ_i(1 − e_i)·φ(u_i),   u = W·x + U·h + b,   e_i = exp(−Δt/τ_i)
 *
 * propagates (holding θ fixed over the past, as RTRL does)
 *
 *     S'_l = diag(e)·S_l + diag(τ(1−e)·φ′(u))·(W·S_l + U·S_h) + D,
 *     D[i, θ_i] = τ_i·∂x'_i/∂τ_i = τ_i·[(x_i − τ_iφ_i)·e_i·Δt/τ_i² + (1 − e_i)·φ_i]
 *
 * where S_h is the sensitivity of the layer's input h (zero for dense layers fed by the input,
 * S'_{l−1} for a liquid layer fed by one, diag(φ′)·W·S for a dense layer fed by a liquid one).
 * The readout then gives ∂y/∂θ = diag(outputStd)·W_r·S_last [outputs, P] (the residual skip
 * and the input scaling do not depend on τ). The forward pass runs on the compiled engine's
 * float32 kernels (CompiledModelStep), so τ learns from the arithmetic the device serves; with
 * kernels 'float64' it is ReferenceRunner's, bit for bit. φ and φ′ for the sensitivities come
 * from the float64 activations at those pre-activations. Buffers are allocated once; step()
 * allocates nothing in this file. Cost per step: O(Σ_l H_l·(H_l + in_l)·P).
 */
import { compileActivation } from '../../shared/activations/index.js';
import { CompiledModelStep } from '../../shared/engines/compiled/model-step.js';
import { ModelError } from '../../shared/errors.js';
import { stateWidth } from '../../shared/model/layout.js';
import { type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import { SelectorKernel, selectorWeightsInto } from '../../shared/model/selector.js';
import { contractionTauCaps } from '../../shared/model/stability.js';

interface SensLayer {
  readonly liquid: boolean;
  readonly units: number;
  readonly inWidth: number;
  readonly W: Float64Array;
  readonly U: Float64Array | null;
  readonly affine: Float64Array;
  readonly weights: Float64Array;
  readonly kernel: SelectorKernel;
  /** Offset of the layer's neurons in θ and in the state row (liquid layers). */
  readonly offset: number;
  /** ∂(layer output)/∂θ [units, P]. */
  readonly S: Float64Array;
}

/** The forward pass the sensitivities follow: ReferenceRunner (float64) or CompiledModelStep (float32). */
export interface TauForward {
  readonly state: Float64Array;
  readonly tau: Float64Array;
  setTau(values: ArrayLike<number>): void;
  reset(): void;
  step(input: Float64Array, dt: number, out: Float64Array): void;
  layerPreActivation(i: number): Float64Array;
}

/** What τ adaptation's forward pass runs on. */
export type TauKernels = 'compiled' | 'float64';

export class TauSensitivity {
  readonly runner: TauForward;
  /** Liquid neurons P (the length of θ). */
  readonly size: number;
  readonly outputs: number;
  /** ∂y/∂log τ from the last step, in output units, [outputs, P] row-major. */
  readonly dy: Float64Array;
  /** τ in use [P]. Change it through setTau(). */
  readonly tau: Float64Array;
  /** Per neuron band [P]. */
  readonly tauMin: Float64Array;
  readonly tauMax: Float64Array;
  private readonly layers: SensLayer[];
  private readonly readoutW: Float64Array;
  /** The model's output scale [outputs] (1 without scaling). */
  readonly outputStd: Float64Array;
  private readonly xPrev: Float64Array;
  private readonly phi: Float64Array;
  private readonly dphi: Float64Array;
  private readonly next: Float64Array;

  constructor(model: HybridModel, kernels: TauKernels = 'compiled') {
    const P = stateWidth(model);
    if (P === 0) throw new ModelError('τ adaptation: the model has no liquid layer');
    this.runner = kernels === 'compiled' ? new CompiledModelStep(model) : new ReferenceRunner(model, 1);
    this.size = P;
    this.outputs = model.outputs;
    this.tau = this.runner.tau;
    this.tauMin = new Float64Array(P);
    this.tauMax = new Float64Array(P);
    let width = model.inputs;
    let offset = 0;
    let maxUnits = 1;
    this.layers = model.layers.map((spec, i) => {
      const w = new Float64Array(spec.selector.candidates.length);
      selectorWeightsInto(
        param(model, `L${i}.logits`),
        spec.selector.temperature,
        spec.selector.mode,
        spec.selector.chosen,
        w,
      );
      const liquid = spec.kind === 'liquid';
      const layer: SensLayer = {
        liquid,
        units: spec.units,
        inWidth: width,
        W: param(model, `L${i}.W`),
        U: liquid ? param(model, `L${i}.U`) : null,
        affine: param(model, `L${i}.affine`),
        weights: w,
        kernel: new SelectorKernel(layerCandidates(model, spec).map((e) => compileActivation(e))),
        offset,
        S: new Float64Array(spec.units * P),
      };
      if (liquid) {
        this.tauMin.fill(spec.tauMin, offset, offset + spec.units);
        this.tauMax.fill(spec.tauMax, offset, offset + spec.units);
        offset += spec.units;
      }
      width = spec.units;
      maxUnits = Math.max(maxUnits, spec.units);
      return layer;
    });
    // an unbounded liquid layer stays a contraction only while τ stays under its cap
    const caps = contractionTauCaps(model);
    for (let j = 0; j < P; j++) this.tauMax[j] = Math.min(this.tauMax[j]!, Math.max(caps[j]!, this.tau[j]!));
    this.readoutW = param(model, 'readout.W');
    this.outputStd = Float64Array.from(model.scaling?.outputStd ?? new Array(model.outputs).fill(1));
    this.dy = new Float64Array(model.outputs * P);
    this.xPrev = new Float64Array(P);
    this.phi = new Float64Array(maxUnits);
    this.dphi = new Float64Array(maxUnits);
    this.next = new Float64Array(maxUnits * P);
  }

  /** Set τ [P] (clamped into each layer's band) for the runner and the sensitivities. */
  setTau(values: ArrayLike<number>): void {
    this.runner.setTau(values);
    for (let j = 0; j < this.size; j++)
      this.tau[j] = Math.min(this.tauMax[j]!, Math.max(this.tauMin[j]!, values[j]!));
  }

  /** Zero state and sensitivities. */
  reset(): void {
    this.runner.reset();
    for (const l of this.layers) l.S.fill(0);
    this.dy.fill(0);
  }

  /** One step: out [outputs] gets the prediction, dy the new ∂y/∂log τ. */
  step(input: Float64Array, dt: number, out: Float64Array): void {
    const P = this.size;
    this.xPrev.set(this.runner.state);
    this.runner.step(input, dt, out);
    let Sin: Float64Array | null = null; // null: the input does not depend on τ
    for (let li = 0; li < this.layers.length; li++) {
      const l = this.layers[li]!;
      const H = l.units;
      if (!l.liquid && !Sin) continue;
      const pre = this.runner.layerPreActivation(li);
      const phi = this.phi.subarray(0, H);
      const dphi = this.dphi.subarray(0, H);
      l.kernel.forwardInto(pre, l.affine, l.weights, phi, dphi);
      const next = this.next;
      for (let i = 0; i < H; i++) {
        const row = i * P;
        for (let j = 0; j < P; j++) next[row + j] = 0;
        // next[i, :] = Σ_k W[i, k]·S[k, :] (+ Σ_k U[i, k]·Sin[k, :] for a liquid layer)
        if (l.liquid) this.accumulate(next, row, l.W, i * H, H, l.S);
        if (Sin) this.accumulate(next, row, l.liquid ? l.U! : l.W, i * l.inWidth, l.inWidth, Sin);
        if (!l.liquid) {
          for (let j = 0; j < P; j++) next[row + j] *= dphi[i]!;
          continue;
        }
        const t = this.tau[l.offset + i]!;
        const e = Math.exp(-dt / t);
        const c = t * (1 - e) * dphi[i]!;
        for (let j = 0; j < P; j++) next[row + j] = e * l.S[row + j]! + c * next[row + j]!;
        const x = this.xPrev[l.offset + i]!;
        const p = phi[i]!;
        next[row + l.offset + i] += t * ((x - t * p) * e * (dt / (t * t)) + (1 - e) * p);
      }
      l.S.set(next.subarray(0, H * P));
      Sin = l.S;
    }
    const last = this.layers[this.layers.length - 1]!.units;
    this.dy.fill(0);
    if (!Sin) return;
    for (let o = 0; o < this.outputs; o++) {
      this.accumulate(this.dy, o * P, this.readoutW, o * last, last, Sin);
      const s = this.outputStd[o]!;
      for (let j = 0; j < P; j++) this.dy[o * P + j] *= s;
    }
  }

  /** out[row + j] += Σ_k M[mo + k]·S[k·P + j] for k < K, j < P. */
  private accumulate(
    out: Float64Array,
    row: number,
    M: Float64Array,
    mo: number,
    K: number,
    S: Float64Array,
  ) {
    const P = this.size;
    for (let k = 0; k < K; k++) {
      const m = M[mo + k]!;
      if (m === 0) continue;
      const so = k * P;
      for (let j = 0; j < P; j++) out[row + j] += m * S[so + j]!;
    }
  }
}
