/**
 * The shape shared by the classic and symbolic forms: ψ(z) = γ·f(α·z + β) + δ with f a named
 * primitive. Both forms are this one factory with a different list of allowed names, so the
 * two cannot drift apart; each keeps its own file (classic.ts, symbolic.ts) and its own name table.
 */

import { LibraryEntryError } from '../../errors.js';
import type { GraphBuilder } from '../../onnx/graph-builder.js';
import * as z from '../../zod.js';
import { PRIMITIVES, type Primitive, type PrimitiveName, rangeIsSafe } from '../primitives.js';
import type { FormModule, FormName } from '../types.js';

/** ψ(z) = gamma·f(alpha·z + beta) + delta, f named by `fn`. */
export interface AffinePrimitiveParams<N extends string = string> {
  readonly fn: N;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly delta: number;
}

/** Emit C·f(A·x + B) + D, skipping a Mul by 1 and an Add of 0. */
export function emitScaledPrimitive(
  g: GraphBuilder,
  x: string,
  prim: Primitive,
  k: { A: number; B: number; C: number; D: number },
): string {
  let t = x;
  if (k.A !== 1) t = g.node('Mul', [t, g.scalar(k.A)]);
  if (k.B !== 0) t = g.node('Add', [t, g.scalar(k.B)]);
  t = prim.emit(g, t);
  if (k.C !== 1) t = g.node('Mul', [t, g.scalar(k.C)]);
  if (k.D !== 0) t = g.node('Add', [t, g.scalar(k.D)]);
  return t;
}

/** Ops of C·f(A·x + B) + D as emitted above. */
export function scaledPrimitiveOps(
  prim: Primitive,
  k: { A: number; B: number; C: number; D: number },
): number {
  return prim.ops + (k.A !== 1 ? 1 : 0) + (k.B !== 0 ? 1 : 0) + (k.C !== 1 ? 1 : 0) + (k.D !== 0 ? 1 : 0);
}

const finite = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));

/**
 * Build a form module over the given names. `table` maps each allowed name to its primitive
 * (symbolic calls the identity 'x' and the gaussian 'gauss').
 */
export function affinePrimitiveForm<N extends string>(
  formName: FormName,
  table: Readonly<Record<N, PrimitiveName>>,
): FormModule<AffinePrimitiveParams<N>> & { primitive(params: AffinePrimitiveParams<N>): Primitive } {
  const names = Object.keys(table) as [N, ...N[]];
  const schema = z.object({
    fn: z.enum(names, { error: () => `must be one of ${names.join(', ')}` }),
    alpha: finite,
    beta: finite,
    gamma: finite,
    delta: finite,
  });
  const primitive = (p: AffinePrimitiveParams<N>): Primitive => PRIMITIVES[table[p.fn]];
  const k = (p: AffinePrimitiveParams<N>) => ({ A: p.alpha, B: p.beta, C: p.gamma, D: p.delta });
  return {
    name: formName,
    primitive,
    evaluate: (p, zv) => p.gamma * primitive(p).f(p.alpha * zv + p.beta) + p.delta,
    derivative: (p, zv) => p.gamma * primitive(p).df(p.alpha * zv + p.beta) * p.alpha,
    extendable: (p) => primitive(p).safeOnReals,
    opsPerElement: (p) => scaledPrimitiveOps(primitive(p), k(p)),
    emitOnnx: (g, zName, p) => emitScaledPrimitive(g, zName, primitive(p), k(p)),
    parse(json, where) {
      const r = schema.safeParse(json);
      if (!r.success) {
        const issue = r.error.issues[0];
        const field = ['params', ...issue.path.map(String)].join('.');
        throw new LibraryEntryError(`${where}: field '${field}': ${issue.message}`, { cause: r.error });
      }
      const p = r.data as AffinePrimitiveParams<N>;
      const prim = primitive(p);
      const lo = p.beta - Math.abs(p.alpha);
      const hi = p.beta + Math.abs(p.alpha);
      if (!rangeIsSafe(prim, lo, hi)) {
        const allowed = prim.domain.map((d) => `[${d.lo}, ${d.hi}]`).join(' or ');
        throw new LibraryEntryError(
          `${where}: field 'params': ${p.fn}(alpha·z + beta) sees inputs [${lo}, ${hi}] on z ∈ [-1, 1], ` +
            `outside its safe domain ${allowed}`,
        );
      }
      return Object.freeze({ ...p });
    },
    toJSON: (p) => ({ fn: p.fn, alpha: p.alpha, beta: p.beta, gamma: p.gamma, delta: p.delta }),
  };
}

/**
 * Fold a layer affine y = c·ψ(a·x + b) + d into ψ's own: y = C·f(A·x + B) + D. Valid only when
 * nothing sits between the two affines, i.e. tail 'extend'. emit.ts and compile.ts both use it,
 * so the graph and TypeScript do the same arithmetic.
 */
export function foldAffine(
  p: AffinePrimitiveParams,
  aff: { a: number; b: number; c: number; d: number },
): { A: number; B: number; C: number; D: number } {
  return { A: p.alpha * aff.a, B: p.alpha * aff.b + p.beta, C: aff.c * p.gamma, D: aff.c * p.delta + aff.d };
}
