/**
 * Scoring a candidate from its last-layer features: refit the linear readout by ridge regression
 * on the fitting rows (closed form: Cholesky of the Gram matrix of [h, 1]) and take the mean
 * squared error on the held-out rows, in the readout's units (see readoutTargets).
 *
 *   features [T, N, width]   targets [T, N, outputs]   W [outputs, width]   b [outputs]
 *
 * The fitting rows' features are copied column by column (with a column of ones for the bias)
 * into a buffer allocated once, and the Gram matrix and right-hand sides are dot products of
 * those columns, two by two (each load feeds two products); scoring a candidate allocates only
 * the small factor.
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
  /** The fitting rows, in order; their features by column [width + 1, m] (last: ones); their targets by output [outputs, m]. */
  private readonly fitRows: Int32Array;
  private readonly columns: Float64Array;
  private readonly targetColumns: Float64Array;

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
    const rows: number[] = [];
    for (let r = 0; r < set.role.length; r++) if (set.role[r] === ROLE_FIT) rows.push(r);
    this.fitRows = Int32Array.from(rows);
    const m = rows.length;
    this.columns = new Float64Array(n * m);
    this.columns.fill(1, width * m);
    this.targetColumns = new Float64Array(this.outputs * m);
    rows.forEach((r, q) => {
      for (let c = 0; c < this.outputs; c++) this.targetColumns[c * m + q] = targets[r * this.outputs + c]!;
    });
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
    const w = this.width;
    const n = w + 1;
    const out = this.outputs;
    const G = this.G;
    const R = this.R;
    const F = this.columns;
    const rows = this.fitRows;
    const m = rows.length;
    for (let q = 0; q < m; q++) {
      const fo = rows[q]! * w;
      for (let i = 0; i < w; i++) {
        const v = features[fo + i]!;
        if (!Number.isFinite(v)) return null;
        F[i * m + q] = v;
      }
    }
    // the lower triangle of G = FᵀF, a 2×2 block of columns at a time (the odd last column pairs
    // with itself; entries above the diagonal are overwritten by the symmetric fill below)
    for (let i = 0; i < n; i += 2) {
      const i2 = i + 1 < n ? i + 1 : i;
      const a = i * m;
      const b = i2 * m;
      for (let j = 0; j <= i; j += 2) {
        const j2 = j + 1 < n ? j + 1 : j;
        const c = j * m;
        const d = j2 * m;
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let q = 0; q < m; q++) {
          const u = F[a + q]!;
          const v = F[b + q]!;
          const x = F[c + q]!;
          const y = F[d + q]!;
          s00 += u * x;
          s01 += u * y;
          s10 += v * x;
          s11 += v * y;
        }
        G[i * n + j] = s00;
        G[i * n + j2] = s01;
        G[i2 * n + j] = s10;
        G[i2 * n + j2] = s11;
      }
    }
    const Z = this.targetColumns;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < out; c++) {
        let s = 0;
        const a = i * m;
        const z = c * m;
        for (let q = 0; q < m; q++) s += F[a + q]! * Z[z + q]!;
        R[i * out + c] = s;
      }
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
