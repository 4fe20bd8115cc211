/**
 * The training objective over the flat parameter vector: MSE plus the paper's sparsity penalty,
 * with its gradient, for L-BFGS and Adam. Buffers for every layer are allocated once per batch
 * size and reused, so one evaluation allocates nothing proportional to the data.
 *
 *   loss = mean over [batch, nOut] of (pred − y)²
 *   reg  = λ·Σ_l (λ_L1·Σ_e A_le + λ_entropy·S_l)     (regularisation.ts)
 */
import { ShapeError } from '../../shared/errors.js';
import type { Kan } from './kan.js';
import { ensureWork, type LayerGrads, type LayerWork, layerBackward, layerForward } from './kernel.js';
import { multBackward, multForward } from './mult.js';
import { layerRegularisation, type RegularisationWeights } from './regularisation.js';

export interface ObjectiveValue {
  /** Mean squared error. */
  readonly loss: number;
  /** Regularisation penalty (0 when λ = 0). */
  readonly reg: number;
}

export class KanObjective {
  private readonly kan: Kan;
  private works: LayerWork[] = [];
  /** ∂L/∂(layer l's outputs), [batch, nOut]. */
  private gouts: Float64Array[] = [];
  /** Per layer with product nodes: its node values and ∂L/∂nodes, [batch, nOut − mult]; else the outputs' own buffers. */
  private nodes: Float64Array[] = [];
  private gnodes: Float64Array[] = [];
  private readonly regGrads: Float64Array[];

  constructor(kan: Kan) {
    this.kan = kan;
    this.regGrads = kan.layers.map((L) => new Float64Array(L.nIn * L.nOut));
  }

  /**
   * Loss and penalty at the Kan's current parameters; when grad is given (length
   * kan.parameterCount()), writes ∂(loss + reg)/∂params into it.
   * @param x [batch, width[0]], y [batch, width[L]].
   */
  evaluate(
    x: Float64Array,
    y: Float64Array,
    batch: number,
    weights: RegularisationWeights,
    grad: Float64Array | null,
  ): ObjectiveValue {
    const { kan } = this;
    const nOut = kan.width.at(-1)!;
    if (x.length !== batch * kan.width[0]! || y.length !== batch * nOut) {
      throw new ShapeError(`KanObjective: x ${x.length} and y ${y.length} values do not fit batch ${batch}`);
    }
    const layers = kan.layers;
    const useReg = weights.lambda > 0;
    if (this.works.length !== layers.length || this.works[0]!.batch !== batch) {
      this.works = layers.map((L) => ensureWork(L, batch));
      this.gouts = layers.map((L) => new Float64Array(batch * L.nOut));
      this.nodes = layers.map((L) => new Float64Array(L.mult ? batch * (L.nOut - L.mult) : 0));
      this.gnodes = layers.map((L, l) =>
        L.mult ? new Float64Array(batch * (L.nOut - L.mult)) : this.gouts[l]!,
      );
    }
    let h = x;
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l]!;
      h = layerForward(L, h, batch, this.works[l]!, useReg);
      if (L.mult) h = multForward(h, batch, L.nOut, L.mult, this.nodes[l]!);
    }
    let loss = 0;
    const n = batch * nOut;
    const gLast = this.gnodes.at(-1)!;
    for (let s = 0; s < n; s++) {
      const d = h[s]! - y[s]!;
      loss += d * d;
      gLast[s] = (2 * d) / n;
    }
    loss /= n;
    let reg = 0;
    for (let l = 0; l < layers.length && useReg; l++) {
      reg += layerRegularisation(this.works[l]!.absMean, weights, grad ? this.regGrads[l]! : null);
    }
    if (!grad) return { loss, reg };
    grad.fill(0);
    let o = 0;
    const slices: LayerGrads[] = layers.map((L) => {
      const take = (len: number) => grad.subarray(o, (o += len));
      return { coef: take(L.coef.length), wb: take(L.wb.length), ws: take(L.ws.length) };
    });
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l]!;
      if (L.mult) multBackward(this.works[l]!.out, this.gnodes[l]!, batch, L.nOut, L.mult, this.gouts[l]!);
      const gx = l > 0 ? this.gnodes[l - 1]! : null;
      layerBackward(
        layers[l]!,
        this.works[l]!,
        this.gouts[l]!,
        useReg ? this.regGrads[l]! : null,
        slices[l]!,
        gx,
      );
    }
    return { loss, reg };
  }
}
