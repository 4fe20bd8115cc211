/**
 * The selection's forward pass: the reference runner's maths (same selector kernel, same liquid
 * step) reorganised for scoring many candidates over one fixed buffer. Rows are time-major,
 * r = t·N + n, so a dense layer is one blocked product over every row at once and a liquid layer
 * steps its N streams together. Per layer it keeps the drive, the part of the pre-activation an
 * activation candidate cannot change (dense: W·h + b; liquid: U·h + b), for the current choices;
 * a candidate for layer i recomputes layers i..L-1 only, into scratch buffers.
 *
 *   input [R, inputs] (scaled)   drive_l, out_l [R, units_l]   R = T·N
 *
 * Activations run as the compiled engine's generated loops (compileActivationFast). A test checks
 * it against ReferenceRunner on the same slices.
 */
import { compileActivationFast } from '../../shared/engines/compiled/activation.js';
import { liquidStepInto, tauFromRhoInto } from '../../shared/liquid/cell.js';
import { type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import { SelectorKernel, selectorWeightsInto } from '../../shared/model/selector.js';
import type { SequenceSet } from './buffer.js';
import { matmulRowsInto } from './kernels.js';
import type { LayerChoice } from './submodel.js';

interface LayerBuffers {
  readonly units: number;
  readonly inWidth: number;
  readonly W: Float64Array;
  readonly U: Float64Array | null;
  readonly b: Float64Array;
  readonly tau: Float64Array | null;
  /** Offset of this layer's state in the model's concatenated state row. */
  readonly stateOffset: number;
  /** One compiled kernel per candidate (hard choices) and one over all (the soft mixture). */
  readonly single: SelectorKernel[];
  readonly mixture: SelectorKernel;
  readonly mixWeights: Float64Array;
  readonly drive: Float64Array;
  readonly out: Float64Array;
  readonly scratchDrive: Float64Array;
  readonly scratchOut: Float64Array;
}

const ONE = Float64Array.of(1);

/** What the search scores candidates with: FastForward (float64) or CompiledForward (float32). */
export interface CandidateForward {
  /** Last-layer outputs [R, units] with layer `from` set to `choice` (a view, reused). */
  evaluate(from: number, choice: LayerChoice): Float64Array;
  /** Adopt new current choices; cached layers from `from` on are recomputed when next needed. */
  setCurrent(choices: readonly LayerChoice[], from: number): void;
}

export class FastForward implements CandidateForward {
  readonly model: HybridModel;
  private readonly set: SequenceSet;
  private readonly input: Float64Array;
  private readonly layers: LayerBuffers[];
  private readonly driveValid: boolean[];
  private readonly outValid: boolean[];
  private readonly x: Float64Array;
  private readonly pre: Float64Array;
  private readonly act: Float64Array;
  /** The choices the cached drives and outputs were computed with. */
  private current: readonly LayerChoice[];

  private readonly initialState: Float64Array | null;
  private readonly stateWidth: number;

  /** initialState: each stream's starting liquid state [N, state width] (default zero). */
  constructor(
    model: HybridModel,
    set: SequenceSet,
    scaledInputs: Float64Array,
    current: readonly LayerChoice[],
    initialState: Float64Array | null = null,
  ) {
    this.model = model;
    this.initialState = initialState;
    this.set = set;
    this.input = scaledInputs;
    this.current = current;
    const R = set.steps * set.streams;
    let width = model.inputs;
    let maxUnits = 1;
    let offset = 0;
    this.layers = model.layers.map((spec, i) => {
      const p = `L${i}`;
      const compiled = layerCandidates(model, spec).map((e) => compileActivationFast(e));
      const mixWeights = new Float64Array(compiled.length);
      const s = spec.selector;
      selectorWeightsInto(param(model, `${p}.logits`), s.temperature, 'soft', s.chosen, mixWeights);
      let tau: Float64Array | null = null;
      if (spec.kind === 'liquid') {
        tau = new Float64Array(spec.units);
        tauFromRhoInto(param(model, `${p}.rho`), spec.tauMin, spec.tauMax, tau);
      }
      const n = R * spec.units;
      const layer: LayerBuffers = {
        units: spec.units,
        inWidth: width,
        W: param(model, `${p}.W`),
        U: spec.kind === 'liquid' ? param(model, `${p}.U`) : null,
        b: param(model, `${p}.b`),
        tau,
        stateOffset: offset,
        single: compiled.map((c) => new SelectorKernel([c])),
        mixture: new SelectorKernel(compiled),
        mixWeights,
        drive: new Float64Array(n),
        out: new Float64Array(n),
        scratchDrive: new Float64Array(n),
        scratchOut: new Float64Array(n),
      };
      width = spec.units;
      if (spec.kind === 'liquid') offset += spec.units;
      maxUnits = Math.max(maxUnits, spec.units);
      return layer;
    });
    this.stateWidth = offset;
    this.driveValid = model.layers.map(() => false);
    this.outValid = model.layers.map(() => false);
    this.x = new Float64Array(set.streams * maxUnits);
    this.pre = new Float64Array(set.streams * maxUnits);
    this.act = new Float64Array(set.streams * maxUnits);
  }

  /** Adopt new current choices; cached layers from `from` on are recomputed when next needed. */
  setCurrent(choices: readonly LayerChoice[], from: number): void {
    this.current = choices;
    for (let l = from; l < this.layers.length; l++) {
      this.outValid[l] = false;
      if (l > from) this.driveValid[l] = false;
    }
  }

  private layerInput(l: number): Float64Array {
    return l === 0 ? this.input : this.cachedOut(l - 1);
  }

  private cachedDrive(l: number): Float64Array {
    const L = this.layers[l]!;
    if (!this.driveValid[l]) {
      this.driveInto(l, this.layerInput(l), L.drive);
      this.driveValid[l] = true;
    }
    return L.drive;
  }

  private cachedOut(l: number): Float64Array {
    const L = this.layers[l]!;
    if (!this.outValid[l]) {
      this.activateInto(l, this.current[l]!, this.cachedDrive(l), L.out);
      this.outValid[l] = true;
    }
    return L.out;
  }

  private driveInto(l: number, h: Float64Array, out: Float64Array): void {
    const L = this.layers[l]!;
    const R = this.set.steps * this.set.streams;
    matmulRowsInto(h, 0, L.inWidth, R, L.inWidth, L.U ?? L.W, L.units, L.b, out, 0);
  }

  /** Layer l's outputs for every row from its drive, with activation `c`. */
  private activateInto(l: number, c: LayerChoice, drive: Float64Array, out: Float64Array): void {
    const L = this.layers[l]!;
    const kernel = c === 'soft' ? L.mixture : L.single[c.k]!;
    const affine = c === 'soft' ? param(this.model, `L${l}.affine`) : c.affine;
    const w = c === 'soft' ? L.mixWeights : ONE;
    if (!L.tau) {
      kernel.forwardInto(drive, affine, w, out);
      return;
    }
    const N = this.set.streams;
    const H = L.units;
    const x = this.x.subarray(0, N * H);
    const pre = this.pre.subarray(0, N * H);
    const act = this.act.subarray(0, N * H);
    const init = this.initialState;
    if (init) {
      const sw = this.stateWidth;
      for (let n = 0; n < N; n++)
        x.set(init.subarray(n * sw + L.stateOffset, n * sw + L.stateOffset + H), n * H);
    } else x.fill(0);
    for (let t = 0; t < this.set.steps; t++) {
      const o = t * N * H;
      matmulRowsInto(x, 0, H, N, H, L.W, H, null, pre, 0);
      for (let i = 0; i < N * H; i++) pre[i] += drive[o + i]!;
      kernel.forwardInto(pre, affine, w, act);
      liquidStepInto(x, act, L.tau, this.set.dt.subarray(t * N, (t + 1) * N), x);
      out.set(x, o);
    }
  }

  /**
   * Last-layer outputs [R, units] with layer `from` set to `choice` and the others current.
   * The result is a view into a buffer reused by the next call.
   */
  evaluate(from: number, choice: LayerChoice): Float64Array {
    let h = this.layers[from]!.scratchOut;
    this.activateInto(from, choice, this.cachedDrive(from), h);
    for (let l = from + 1; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      this.driveInto(l, h, L.scratchDrive);
      this.activateInto(l, this.current[l]!, L.scratchDrive, L.scratchOut);
      h = L.scratchOut;
    }
    return h;
  }
}
