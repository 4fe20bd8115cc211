/**
 * Scoring a candidate from its last-layer features: refit the linear readout by ridge regression
 * on the fitting rows (closed form: Cholesky of the Gram matrix of [h, 1]) and take the mean
 * squared error on the held-out rows, in the readout's units (see readoutTargets).
 *
 *   features [T, N, width]   targets [T, N, outputs]   W [outputs, width]   b [outputs]
 *
 * The Gram matrix and right-hand sides are accumulated straight from the feature rows into
 * buffers allocated once, so scoring a candidate allocates only the small factor.
 */
import { cholesky, choleskySolveInPlace } from '../../shared/numeric/linalg.js';
import { ROLE_FIT, ROLE_HELD_OUT, type SequenceSet } from './buffer.js';

export interface Readout {
  readonly W: Float64Array;
  readonly b: Float64Array;
}

export interface Scored {
  /** Held-out MSE (Infinity when the features are not finite or the fit failed). */
  readonly loss: number;
  readonly readout: Readout;
}

export class ReadoutScorer {
  readonly width: number;
  readonly outputs: number;
  /** Mean over outputs of the held-out targets' variance (the loss of predicting their mean). */
  readonly targetVariance: number;
  private readonly set: SequenceSet;
  private readonly z: Float64Array;
  private readonly ridge: number;
  private readonly G: Float64Array;
  private readonly R: Float64Array;

  /** ridge: relative to the mean diagonal of the Gram matrix. */
  constructor(set: SequenceSet, targets: Float64Array, width: number, ridge: number) {
    this.set = set;
    this.z = targets;
    this.width = width;
    this.outputs = set.outputs;
    this.ridge = ridge;
    const n = width + 1;
    this.G = new Float64Array(n * n);
    this.R = new Float64Array(n * this.outputs);
    this.targetVariance = this.heldOutVariance();
  }

  private heldOutVariance(): number {
    const { role } = this.set;
    const out = this.outputs;
    let total = 0;
    for (let j = 0; j < out; j++) {
      let n = 0;
      let s = 0;
      let ss = 0;
      for (let r = 0; r < role.length; r++) {
        if (role[r] !== ROLE_HELD_OUT) continue;
        const v = this.z[r * out + j]!;
        n++;
        s += v;
        ss += v * v;
      }
      total += n > 0 ? Math.max(0, ss / n - (s / n) ** 2) : 0;
    }
    return total / out;
  }

  /** Ridge fit of the readout on the fitting rows; null when the features are not finite. */
  fit(features: Float64Array): Readout | null {
    const { role } = this.set;
    const w = this.width;
    const n = w + 1;
    const out = this.outputs;
    const G = this.G;
    const R = this.R;
    G.fill(0);
    R.fill(0);
    const wb = w * n; // the bias row of G
    // Rows two at a time: one pass over G's lower triangle adds both rows' outer products, which
    // halves the loads and stores of G (the bulk of scoring a candidate).
    let pending = -1;
    for (let r = 0; r <= role.length; r++) {
      if (r < role.length && role[r] !== ROLE_FIT) continue;
      if (r < role.length) {
        const fo = r * w;
        for (let i = 0; i < w; i++) if (!Number.isFinite(features[fo + i]!)) return null;
        const zo = r * out;
        for (let i = 0; i < w; i++) {
          const fi = features[fo + i]!;
          G[wb + i] += fi;
          for (let c = 0; c < out; c++) R[i * out + c] += fi * this.z[zo + c]!;
        }
        G[wb + w] += 1;
        for (let c = 0; c < out; c++) R[w * out + c] += this.z[zo + c]!;
        if (pending < 0) {
          pending = r;
          continue;
        }
      } else if (pending < 0) break;
      const ao = pending * w;
      if (r < role.length) {
        const bo = r * w;
        for (let i = 0; i < w; i++) {
          const ai = features[ao + i]!;
          const bi = features[bo + i]!;
          const go = i * n;
          for (let j = 0; j <= i; j++) G[go + j] += ai * features[ao + j]! + bi * features[bo + j]!;
        }
      } else {
        for (let i = 0; i < w; i++) {
          const ai = features[ao + i]!;
          const go = i * n;
          for (let j = 0; j <= i; j++) G[go + j] += ai * features[ao + j]!;
        }
      }
      pending = -1;
    }
    let trace = 0;
    for (let i = 0; i < n; i++) trace += G[i * n + i]!;
    const lambda = (this.ridge * trace) / n + 1e-12;
    for (let i = 0; i < n; i++) {
      if (i < w) G[i * n + i] += lambda;
      for (let j = 0; j < i; j++) G[j * n + i] = G[i * n + j]!;
    }
    let x: Float64Array;
    try {
      x = choleskySolveInPlace(cholesky(G, n), n, R.slice());
    } catch {
      return null;
    }
    const W = new Float64Array(out * w);
    const b = new Float64Array(out);
    for (let c = 0; c < out; c++) {
      for (let i = 0; i < w; i++) W[c * w + i] = x[i * out + c]!;
      b[c] = x[w * out + c]!;
    }
    return { W, b };
  }

  /** Mean squared error of readout (W, b) over the rows of one role. */
  loss(features: Float64Array, readout: Readout, which: number = ROLE_HELD_OUT): number {
    const { role } = this.set;
    const w = this.width;
    const out = this.outputs;
    const { W, b } = readout;
    let ss = 0;
    let n = 0;
    for (let r = 0; r < role.length; r++) {
      if (role[r] !== which) continue;
      const fo = r * w;
      for (let c = 0; c < out; c++) {
        let y = b[c]!;
        const wo = c * w;
        for (let i = 0; i < w; i++) y += W[wo + i]! * features[fo + i]!;
        const e = y - this.z[r * out + c]!;
        ss += e * e;
      }
      n++;
    }
    const mse = n > 0 ? ss / (n * out) : Infinity;
    return Number.isFinite(mse) ? mse : Infinity;
  }

  /** Refit on the fitting rows, score on the held-out rows. */
  score(features: Float64Array): Scored {
    const readout = this.fit(features);
    if (!readout) return { loss: Infinity, readout: { W: new Float64Array(0), b: new Float64Array(0) } };
    return { loss: this.loss(features, readout), readout };
  }
}
