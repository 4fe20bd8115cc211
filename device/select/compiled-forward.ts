/**
 * The selection's forward pass on the compiled engine's float32 kernels
 * (shared/engines/compiled/sequence.ts): per layer a generated drive (its weights written in) and,
 * per library entry, a generated activation (dense) or a whole liquid recurrence with the entry
 * inlined, so scoring a candidate runs a handful of specialised loops over the buffer. The
 * caching is FastForward's (forward.ts): each layer's drive and output for the current choices
 * are kept, and a candidate for layer i recomputes layers i..L-1 only.
 *
 * Results differ from FastForward's float64 by float32 rounding (a test bounds it); selection
 * still judges its winner with the float64 reference runner (select.ts) before installing it.
 *
 *   input [R, inputs] (scaled)   drive_l, out_l [R, units_l] float32   R = T·N
 */

import { compileActivation } from '../../shared/activations/index.js';
import {
  type ActivationKernel,
  compileActivationKernel,
  compileDrive,
  compileLiquid,
  type DriveKernel,
  type LiquidKernel,
} from '../../shared/engines/compiled/sequence.js';
import { tauFromRhoInto } from '../../shared/liquid/cell.js';
import { type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import { SelectorKernel, selectorWeightsInto } from '../../shared/model/selector.js';
import type { SequenceSet } from './buffer.js';
import type { CandidateForward } from './forward.js';
import type { LayerChoice } from './submodel.js';

interface CompiledLayer {
  readonly units: number;
  readonly drive: DriveKernel;
  /** Per candidate, built on first use: its generated activation. */
  readonly activation: (ActivationKernel | undefined)[];
  /** The recurrence of a liquid layer. */
  readonly liquid: LiquidKernel | null;
  /** The soft mixture (float64 SelectorKernel, rounded), for a 'soft' choice. */
  readonly mixture: () => ActivationKernel;
  /** Each stream's starting state [N, units] in float32, or null (zero). */
  readonly init: Float64Array | null;
  readonly driveBuf: Float64Array;
  readonly outBuf: Float64Array;
  readonly scratchDrive: Float64Array;
  readonly scratchOut: Float64Array;
}

export class CompiledForward implements CandidateForward {
  readonly model: HybridModel;
  private readonly set: SequenceSet;
  private readonly input: Float64Array;
  private readonly layers: CompiledLayer[];
  private readonly driveValid: boolean[];
  private readonly outValid: boolean[];
  private current: readonly LayerChoice[];

  /** initialState: each stream's starting liquid state [N, state width] (default zero). */
  constructor(
    model: HybridModel,
    set: SequenceSet,
    scaledInputs: Float64Array,
    current: readonly LayerChoice[],
    initialState: Float64Array | null = null,
  ) {
    this.model = model;
    this.set = set;
    this.current = current;
    this.input = scaledInputs.map(Math.fround);
    const N = set.streams;
    const R = set.steps * N;
    const stateWidth = model.layers.reduce((w, l) => w + (l.kind === 'liquid' ? l.units : 0), 0);
    let width = model.inputs;
    let offset = 0;
    this.layers = model.layers.map((spec, i) => {
      const p = `L${i}`;
      const H = spec.units;
      const liquid = spec.kind === 'liquid';
      const K = spec.selector.candidates.length;
      let tau: Float64Array | null = null;
      let init: Float64Array | null = null;
      if (liquid) {
        tau = new Float64Array(H);
        tauFromRhoInto(param(model, `${p}.rho`), spec.tauMin, spec.tauMax, tau);
        if (initialState) {
          init = new Float64Array(N * H);
          for (let n = 0; n < N; n++)
            init.set(initialState.subarray(n * stateWidth + offset, n * stateWidth + offset + H), n * H);
          for (let j = 0; j < init.length; j++) init[j] = Math.fround(init[j]!);
        }
        offset += H;
      }
      const W = param(model, `${p}.W`);
      let mixture: ActivationKernel | null = null;
      const n = R * H;
      const layer: CompiledLayer = {
        units: H,
        drive: liquid
          ? compileDrive(param(model, `${p}.U`), param(model, `${p}.b`), width, H)
          : compileDrive(W, param(model, `${p}.b`), width, H),
        activation: new Array(K).fill(undefined),
        liquid: tau ? compileLiquid({ W, tau, streams: N }) : null,
        mixture: () => {
          mixture ??= this.mixtureKernels(i);
          return mixture;
        },
        init,
        driveBuf: new Float64Array(n),
        outBuf: new Float64Array(n),
        scratchDrive: new Float64Array(n),
        scratchOut: new Float64Array(n),
      };
      width = H;
      return layer;
    });
    this.driveValid = model.layers.map(() => false);
    this.outValid = model.layers.map(() => false);
  }

  /** The model's soft mixture in layer i, through the float64 selector kernel. */
  private mixtureKernels(i: number): ActivationKernel {
    const spec = this.model.layers[i]!;
    const entries = layerCandidates(this.model, spec);
    const kernel = new SelectorKernel(entries.map((e) => compileActivation(e)));
    const w = new Float64Array(entries.length);
    const s = spec.selector;
    selectorWeightsInto(param(this.model, `L${i}.logits`), s.temperature, 'soft', s.chosen, w);
    const affine = param(this.model, `L${i}.affine`);
    return (u, out) => {
      kernel.forwardInto(u, affine, w, out);
      for (let j = 0; j < out.length; j++) out[j] = Math.fround(out[j]!);
    };
  }

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
      L.drive(this.layerInput(l), this.set.steps * this.set.streams, L.driveBuf);
      this.driveValid[l] = true;
    }
    return L.driveBuf;
  }

  private cachedOut(l: number): Float64Array {
    const L = this.layers[l]!;
    if (!this.outValid[l]) {
      this.activateInto(l, this.current[l]!, this.cachedDrive(l), L.outBuf);
      this.outValid[l] = true;
    }
    return L.outBuf;
  }

  /** Layer l's outputs for every row from its drive, with activation `c`. */
  private activateInto(l: number, c: LayerChoice, drive: Float64Array, out: Float64Array): void {
    const L = this.layers[l]!;
    let act: ActivationKernel;
    if (c === 'soft') act = L.mixture();
    else {
      act =
        L.activation[c.k] ??
        compileActivationKernel(layerCandidates(this.model, this.model.layers[l]!)[c.k]!);
      L.activation[c.k] = act;
    }
    const af = c === 'soft' ? null : c.affine;
    const a = af ? af[0]! : 1;
    const b = af ? af[1]! : 0;
    const cc = af ? af[2]! : 1;
    const d = af ? af[3]! : 0;
    if (L.liquid) L.liquid(drive, this.set.dt, L.init, out, act, a, b, cc, d);
    else act(drive, out, a, b, cc, d);
  }

  /**
   * Last-layer outputs [R, units] with layer `from` set to `choice` and the others current (a
   * buffer reused by the next call).
   */
  evaluate(from: number, choice: LayerChoice): Float64Array {
    let h = this.layers[from]!.scratchOut;
    this.activateInto(from, choice, this.cachedDrive(from), h);
    for (let l = from + 1; l < this.layers.length; l++) {
      const L = this.layers[l]!;
      L.drive(h, this.set.steps * this.set.streams, L.scratchDrive);
      this.activateInto(l, this.current[l]!, L.scratchDrive, L.scratchOut);
      h = L.scratchOut;
    }
    return h;
  }
}
