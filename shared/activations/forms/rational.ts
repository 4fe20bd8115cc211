/**
 * The rational form, a safe Padé: ψ(z) = P(z)/Q(z) with
 *   P(z) = p_0 + p_1·z + … + p_m·z^m
 *   Q(z) = 1 + e_1·z² + e_2·z⁴ + … + e_n·z^{2n},   every e_k ≥ 0.
 * Q ≥ 1 for every real z by construction, so ψ has no pole anywhere and the form may use tail
 * 'extend'. The price is an even denominator; asymmetry lives in P. (1 + s(z)² with a general
 * s cannot express 1 + a·z² + b·z⁴ for most a, b, and its gradient vanishes at s = 0, which
 * stalls fitting; non-negative even coefficients keep the fit linear in e.)
 * Both polynomials are evaluated by Horner (Q in w = z²), in the same order the emitter uses.
 * Fitting lives in ../fit.ts.
 */

import { LibraryEntryError } from '../../errors.js';
import * as z from '../../zod.js';
import type { FormModule } from '../types.js';

export interface RationalParams {
  /** Numerator p_0..p_m (ascending powers of z). */
  readonly p: readonly number[];
  /** Denominator e_1..e_n ≥ 0, the coefficients of z², z⁴, …, z^{2n}. */
  readonly q: readonly number[];
}

const finite = z.number().check(z.refine(Number.isFinite, 'must be finite numbers'));
const schema = z
  .object({
    p: z.array(finite).check(z.minLength(1, 'needs at least one numerator coefficient')),
    q: z.array(finite.check(z.refine((v) => v >= 0, 'must be ≥ 0 so that the denominator stays positive'))),
  })
  .check(z.refine((r) => r.p.length > 1 || r.q.length > 0, { message: 'is a constant', path: ['p'] }));

function numerator(p: readonly number[], x: number): number {
  let acc = p[p.length - 1];
  for (let j = p.length - 2; j >= 0; j--) acc = acc * x + p[j];
  return acc;
}

function numeratorSlope(p: readonly number[], x: number): number {
  let acc = 0;
  for (let j = p.length - 1; j >= 1; j--) acc = acc * x + j * p[j];
  return acc;
}

function denominator(q: readonly number[], x: number): number {
  if (q.length === 0) return 1;
  const w = x * x;
  let acc = q[q.length - 1];
  for (let k = q.length - 2; k >= 0; k--) acc = acc * w + q[k];
  return acc * w + 1;
}

function denominatorSlope(q: readonly number[], x: number): number {
  const w = x * x;
  let acc = 0;
  for (let k = q.length; k >= 1; k--) acc = acc * w + 2 * k * q[k - 1];
  return acc * x;
}

export const rationalForm: FormModule<RationalParams> = {
  name: 'rational',
  evaluate: (r, x) => numerator(r.p, x) / denominator(r.q, x),
  derivative(r, x) {
    const den = denominator(r.q, x);
    return (numeratorSlope(r.p, x) * den - numerator(r.p, x) * denominatorSlope(r.q, x)) / (den * den);
  },
  extendable: () => true,
  opsPerElement: (r) => 2 * (r.p.length - 1) + (r.q.length > 0 ? 2 * r.q.length + 2 : 0),
  emitOnnx(g, x, r) {
    const m = r.p.length - 1;
    let num = g.scalar(r.p[m]);
    for (let j = m - 1; j >= 0; j--) num = g.node('Add', [g.node('Mul', [num, x]), g.scalar(r.p[j])]);
    if (r.q.length === 0) return num;
    const w = g.node('Mul', [x, x]);
    let den = g.scalar(r.q[r.q.length - 1]);
    for (let k = r.q.length - 2; k >= 0; k--)
      den = g.node('Add', [g.node('Mul', [den, w]), g.scalar(r.q[k])]);
    den = g.node('Add', [g.node('Mul', [den, w]), g.scalar(1)]);
    return g.node('Div', [num, den]);
  },
  parse(json, where) {
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = ['params', ...issue.path.map(String)].join('.');
      throw new LibraryEntryError(`${where}: field '${field}': ${issue.message}`, { cause: r.error });
    }
    return Object.freeze({ p: Object.freeze([...r.data.p]), q: Object.freeze([...r.data.q]) });
  },
  toJSON: (r) => ({ p: [...r.p], q: [...r.q] }),
};
