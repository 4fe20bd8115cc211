/**
 * The per-layer activation selector: a layer's φ is a mixture of library entries
 *
 *     φ(u) = Σ_k w_k · (c_k·ψ_k(a_k·u + b_k) + d_k),   w = softmax(logits / T)
 *
 * in training (soft), annealed to a one-hot w (hard) for deployment. Each candidate keeps its
 * own affine (a, b, c, d), initialised to the entry's natural affine so that, say, the tanh
 * candidate starts out as tanh itself.
 *
 * Pure kernels. Scratch buffers grow with the largest input seen and are reused, so the
 * per-step path allocates nothing once warm.
 */

/** A compiled library entry: ψ and ψ′ for a vector of canonical inputs, tail policy included. */
export interface ShapeEvaluator {
  evalInto(z: Float64Array, out: Float64Array, dout?: Float64Array): void;
  /** out = c·ψ(a·x + b) + d and its slope; folded into one affine pair where the form allows. */
  applyAffineInto(
    x: Float64Array,
    affine: { a: number; b: number; c: number; d: number },
    out: Float64Array,
    dout?: Float64Array,
  ): void;
}

export type SelectorMode = 'soft' | 'hard';

/** Mixture weights: softmax(logits / T) for soft, one-hot at `chosen` for hard. Shapes [K]. */
export function selectorWeightsInto(
  logits: Float64Array,
  temperature: number,
  mode: SelectorMode,
  chosen: number,
  out: Float64Array,
): void {
  const K = logits.length;
  if (mode === 'hard') {
    out.fill(0);
    out[chosen] = 1;
    return;
  }
  let max = -Infinity;
  for (let k = 0; k < K; k++) max = Math.max(max, logits[k]! / temperature);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const e = Math.exp(logits[k]! / temperature - max);
    out[k] = e;
    sum += e;
  }
  for (let k = 0; k < K; k++) out[k] = out[k]! / sum;
}

/** ψ_k(a_k·u + b_k) and ψ′_k for every candidate with a nonzero weight (null otherwise). */
export interface CandidateValues {
  readonly psi: (Float64Array | null)[];
  readonly dpsi: (Float64Array | null)[];
}

export class SelectorKernel {
  readonly candidates: readonly ShapeEvaluator[];
  private z = new Float64Array(0);
  private psi = new Float64Array(0);
  private dpsi = new Float64Array(0);

  constructor(candidates: readonly ShapeEvaluator[]) {
    this.candidates = candidates;
  }

  private ensure(n: number): void {
    if (this.z.length >= n) return;
    this.z = new Float64Array(n);
    this.psi = new Float64Array(n);
    this.dpsi = new Float64Array(n);
  }

  /** Evaluate candidate k at every u (z = a·u + b); leaves ψ and ψ′ in scratch views. */
  private evalCandidate(k: number, u: Float64Array, a: number, b: number): [Float64Array, Float64Array] {
    const n = u.length;
    const z = this.z.length === n ? this.z : this.z.subarray(0, n);
    const psi = this.psi.length === n ? this.psi : this.psi.subarray(0, n);
    const dpsi = this.dpsi.length === n ? this.dpsi : this.dpsi.subarray(0, n);
    for (let i = 0; i < n; i++) z[i] = a * u[i]! + b;
    this.candidates[k]!.evalInto(z, psi, dpsi);
    return [psi, dpsi];
  }

  /**
   * y = φ(u) elementwise, and dy/du when dy is given. u, y, dy: any length (the layer's
   * pre-activations); affine [K, 4] rows (a, b, c, d); w [K] mixture weights.
   */
  forwardInto(
    u: Float64Array,
    affine: Float64Array,
    w: Float64Array,
    y: Float64Array,
    dy?: Float64Array,
  ): void {
    const n = u.length;
    this.ensure(n);
    const val = this.psi.length === n ? this.psi : this.psi.subarray(0, n);
    const slope = dy ? (this.dpsi.length === n ? this.dpsi : this.dpsi.subarray(0, n)) : undefined;
    let first = true;
    for (let k = 0; k < this.candidates.length; k++) {
      const wk = w[k]!;
      if (wk === 0) continue;
      const aff = { a: affine[4 * k]!, b: affine[4 * k + 1]!, c: affine[4 * k + 2]!, d: affine[4 * k + 3]! };
      if (wk === 1 && first) {
        // the hard choice: write straight into the outputs
        this.candidates[k]!.applyAffineInto(u, aff, y, dy);
        first = false;
        continue;
      }
      this.candidates[k]!.applyAffineInto(u, aff, val, slope);
      if (first) {
        y.fill(0);
        dy?.fill(0);
        first = false;
      }
      for (let i = 0; i < n; i++) y[i] += wk * val[i]!;
      if (dy && slope) for (let i = 0; i < n; i++) dy[i] += wk * slope[i]!;
    }
    if (first) {
      y.fill(0);
      dy?.fill(0);
    }
  }

  /**
   * Forward for training: y = φ(u), keeping every weighted candidate's ψ and ψ′ so backward()
   * need not evaluate them again (one pass over the candidates instead of two).
   */
  forwardCached(u: Float64Array, affine: Float64Array, w: Float64Array, y: Float64Array): CandidateValues {
    const K = this.candidates.length;
    const psi: (Float64Array | null)[] = new Array(K).fill(null);
    const dpsi: (Float64Array | null)[] = new Array(K).fill(null);
    y.fill(0);
    const z = new Float64Array(u.length);
    for (let k = 0; k < K; k++) {
      const wk = w[k]!;
      if (wk === 0) continue;
      const a = affine[4 * k]!;
      const b = affine[4 * k + 1]!;
      const c = affine[4 * k + 2]!;
      const d = affine[4 * k + 3]!;
      for (let i = 0; i < u.length; i++) z[i] = a * u[i]! + b;
      const p = new Float64Array(u.length);
      const dp = new Float64Array(u.length);
      this.candidates[k]!.evalInto(z, p, dp);
      for (let i = 0; i < u.length; i++) y[i] += wk * (c * p[i]! + d);
      psi[k] = p;
      dpsi[k] = dp;
    }
    return { psi, dpsi };
  }

  /**
   * Backward: g = dL/dy. Accumulates dL/du (gu), dL/daffine (gaffine [K,4]) and dL/dlogits
   * (glogits [K], soft mode only: dL/dl_j = w_j·(G_j − Σ_k w_k G_k)/T with G_k = Σ_i g_i·(c_kψ_k + d_k)).
   */
  backward(
    u: Float64Array,
    affine: Float64Array,
    w: Float64Array,
    temperature: number,
    mode: SelectorMode,
    g: Float64Array,
    gu: Float64Array | null,
    gaffine: Float64Array | null,
    glogits: Float64Array | null,
    cache?: CandidateValues,
  ): void {
    this.ensure(u.length);
    const K = this.candidates.length;
    let meanG = 0;
    const G = glogits && mode === 'soft' ? new Float64Array(K) : null;
    for (let k = 0; k < K; k++) {
      const wk = w[k]!;
      if (wk === 0) continue;
      const a = affine[4 * k]!;
      const c = affine[4 * k + 2]!;
      const d = affine[4 * k + 3]!;
      const cp = cache?.psi[k];
      const cd = cache?.dpsi[k];
      const [psi, dpsi] = cp && cd ? [cp, cd] : this.evalCandidate(k, u, a, affine[4 * k + 1]!);
      let ga = 0;
      let gb = 0;
      let gc = 0;
      let gd = 0;
      let gk = 0;
      for (let i = 0; i < u.length; i++) {
        const gi = g[i]!;
        const slope = c * dpsi[i]!;
        if (gu) gu[i] += gi * wk * slope * a;
        ga += gi * slope * u[i]!;
        gb += gi * slope;
        gc += gi * psi[i]!;
        gd += gi;
        gk += gi * (c * psi[i]! + d);
      }
      if (gaffine) {
        gaffine[4 * k] += wk * ga;
        gaffine[4 * k + 1] += wk * gb;
        gaffine[4 * k + 2] += wk * gc;
        gaffine[4 * k + 3] += wk * gd;
      }
      if (G) {
        G[k] = gk;
        meanG += wk * gk;
      }
    }
    if (G && glogits) {
      for (let k = 0; k < K; k++) glogits[k] += (w[k]! * (G[k]! - meanG)) / temperature;
    }
  }
}
