/**
 * The Chebyshev form: ψ(z) = Σ_k c_k·T_k(z) on [-1, 1].
 *
 * Evaluated by Clenshaw's recurrence b_k = c_k + 2z·b_{k+1} − b_{k+2}, ψ = c_0 + z·b_1 − b_2,
 * which is stable at any degree (a monomial Horner form is not, in float32). The derivative is
 * Σ k·c_k·T_k′ = Σ k·c_k·U_{k−1}(z), a U-series summed by the same recurrence with ψ′ = b_0, so
 * neither needs a buffer. The ONNX emitter writes exactly this recurrence as Mul/Add/Sub nodes.
 * A polynomial explodes off [-1, 1], so the form is never extendable: use a linear tail.
 * Fitting lives in ../fit.ts.
 */

import { LibraryEntryError } from '../../errors.js';
import * as z from '../../zod.js';
import type { FormModule } from '../types.js';

export interface ChebyshevParams {
  /** c_0..c_n, n ≥ 1. */
  readonly coeffs: readonly number[];
}

const schema = z.object({
  coeffs: z
    .array(z.number().check(z.refine(Number.isFinite, 'must be finite numbers')))
    .check(z.minLength(2, 'needs at least 2 coefficients (degree ≥ 1)')),
});

function clenshaw(c: readonly number[], x: number): number {
  const z2 = 2 * x;
  let b1 = 0;
  let b2 = 0;
  for (let k = c.length - 1; k >= 1; k--) {
    const b = z2 * b1 + c[k] - b2;
    b2 = b1;
    b1 = b;
  }
  return x * b1 + c[0] - b2;
}

function clenshawDerivative(c: readonly number[], x: number): number {
  const z2 = 2 * x;
  let b1 = 0;
  let b2 = 0;
  // Σ_{j=0}^{n−1} a_j·U_j(z) with a_j = (j+1)·c_{j+1}; for a U-series the sum is b_0.
  for (let j = c.length - 2; j >= 0; j--) {
    const b = z2 * b1 + (j + 1) * c[j + 1] - b2;
    b2 = b1;
    b1 = b;
  }
  return b1;
}

export const chebyshevForm: FormModule<ChebyshevParams> = {
  name: 'chebyshev',
  evaluate: (p, x) => clenshaw(p.coeffs, x),
  derivative: (p, x) => clenshawDerivative(p.coeffs, x),
  extendable: () => false,
  // Degree n ≥ 2: one Mul for 2z, Mul/Add(/Sub) per recurrence step and Mul/Add/Sub at the end.
  opsPerElement: (p) => (p.coeffs.length === 2 ? 2 : 3 * (p.coeffs.length - 1)),
  emitOnnx(g, x, p) {
    const c = p.coeffs;
    const z2 = c.length > 2 ? g.node('Mul', [x, g.scalar(2)]) : '';
    let b1: string | null = null;
    let b2: string | null = null;
    for (let k = c.length - 1; k >= 1; k--) {
      let b: string;
      if (b1 === null) b = g.scalar(c[k]);
      else {
        b = g.node('Add', [g.node('Mul', [z2, b1]), g.scalar(c[k])]);
        if (b2 !== null) b = g.node('Sub', [b, b2]);
      }
      b2 = b1;
      b1 = b;
    }
    let out = g.node('Add', [g.node('Mul', [x, b1 as string]), g.scalar(c[0])]);
    if (b2 !== null) out = g.node('Sub', [out, b2]);
    return out;
  },
  parse(json, where) {
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = ['params', ...issue.path.map(String)].join('.');
      throw new LibraryEntryError(`${where}: field '${field}': ${issue.message}`, { cause: r.error });
    }
    return Object.freeze({ coeffs: Object.freeze([...r.data.coeffs]) });
  },
  toJSON: (p) => ({ coeffs: [...p.coeffs] }),
};
