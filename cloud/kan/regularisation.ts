/**
 * Sparsity regularisation of the KAN paper (§2.5.1), per layer l:
 *   R_l = λ_L1·Σ_e A_e + λ_entropy·S_l,  S_l = −Σ_e p_e·log₂(p_e + 1e-4),  p_e = A_e / (Σ_f A_f + 1e-12)
 * where A_e = mean over the batch of |φ_e(x)| (computed by the forward kernel). The total
 * penalty is λ·Σ_l R_l. The 1e-4 inside the log is pykan's; it keeps the gradient finite at p = 0.
 */

export interface RegularisationWeights {
  /** Overall weight λ; 0 turns regularisation off. */
  readonly lambda: number;
  /** Weight λ_L1 of the L1 term. */
  readonly l1: number;
  /** Weight λ_entropy of the entropy term. */
  readonly entropy: number;
}

const LOG_EPS = 1e-4;
const SUM_EPS = 1e-12;

/**
 * λ·R_l for one layer; when dA is given also writes ∂(λ·R_l)/∂A_e into it.
 * @param A  [nIn·nOut] mean |φ_e| per edge.
 * @param dA [nIn·nOut] output, or null.
 */
export function layerRegularisation(
  A: Float64Array,
  weights: RegularisationWeights,
  dA: Float64Array | null,
): number {
  const { lambda, l1, entropy } = weights;
  let T = SUM_EPS;
  for (let e = 0; e < A.length; e++) T += A[e]!;
  let S = 0;
  let qp = 0; // Σ_f q_f p_f with q_f = ∂S/∂p_f
  for (let e = 0; e < A.length; e++) {
    const p = A[e]! / T;
    S -= p * Math.log2(p + LOG_EPS);
    qp += p * -(Math.log2(p + LOG_EPS) + p / ((p + LOG_EPS) * Math.LN2));
  }
  if (dA) {
    for (let e = 0; e < A.length; e++) {
      const p = A[e]! / T;
      const q = -(Math.log2(p + LOG_EPS) + p / ((p + LOG_EPS) * Math.LN2));
      // ∂S/∂A_e = Σ_f q_f·(δ_ef − p_f)/T
      dA[e] = lambda * (l1 + (entropy * (q - qp)) / T);
    }
  }
  return lambda * (l1 * (T - SUM_EPS) + entropy * S);
}
