/**
 * The expression tree of a KAN formula, kept in one normal form so that simplification is
 * bookkeeping rather than rewriting: a Lin is c0 + Σ coef·atom, and an atom is an input variable,
 * a snapped function of a Lin, or a spline edge (piecewise-linear in its samples) of a Lin.
 * Affine constants therefore merge by construction (two edges into one node add their d's; equal
 * atoms add their coefficients), and x is no atom at all (c·(a·u + b) + d is Lin arithmetic).
 *
 * Free constants are every c0 and coef in depth-first order (c0, then per term: coef, then the
 * atom's own); evalLin and gradLin read them from a parameter vector in that same order, which is
 * what lets the refit move them without rebuilding the tree.
 */
import type { SymbolicName } from '../../shared/activations/forms/symbolic.js';
import { snapPrimitive } from './symbolic.js';

export type Atom =
  | { readonly kind: 'var'; readonly index: number }
  /** x_a·x_b, a < b: a product of two inputs (squares are fn x2 atoms of one variable). */
  | { readonly kind: 'prod'; readonly a: number; readonly b: number }
  | { readonly kind: 'fn'; readonly fn: Exclude<SymbolicName, 'x'>; readonly arg: Lin }
  | {
      readonly kind: 'spline';
      /** Edge label 'l,i,j'. */
      readonly edge: string;
      /** Sorted sample abscissae and values. */
      readonly xs: Float64Array;
      readonly ys: Float64Array;
      readonly arg: Lin;
    };

export interface Term {
  readonly coef: number;
  readonly atom: Atom;
}

export interface Lin {
  readonly c0: number;
  readonly terms: readonly Term[];
}

export const constLin = (c0: number): Lin => ({ c0, terms: [] });
export const varLin = (index: number): Lin => ({ c0: 0, terms: [{ coef: 1, atom: { kind: 'var', index } }] });

/** x_i·x_j as an atom: x_i² is a square of x_i, else a product with the lower index first. */
export function monomial(i: number, j: number): Atom {
  if (i === j)
    return { kind: 'fn', fn: 'x2', arg: { c0: 0, terms: [{ coef: 1, atom: { kind: 'var', index: i } }] } };
  return { kind: 'prod', a: Math.min(i, j), b: Math.max(i, j) };
}

/** Structural key of an atom (constants included), for merging equal atoms. */
export function atomKey(a: Atom): string {
  if (a.kind === 'var') return `v${a.index}`;
  if (a.kind === 'prod') return `v${a.a}*v${a.b}`;
  if (a.kind === 'fn') return `${a.fn}(${linKey(a.arg)})`;
  return `s${a.edge}(${linKey(a.arg)})`;
}

export function linKey(l: Lin): string {
  return `${l.c0}+${l.terms.map((t) => `${t.coef}*${atomKey(t.atom)}`).join('+')}`;
}

/** k·l + b */
export function scaleLin(l: Lin, k: number, b = 0): Lin {
  return { c0: k * l.c0 + b, terms: l.terms.map((t) => ({ coef: k * t.coef, atom: t.atom })) };
}

/**
 * p·q as a Lin: a constant factor scales the other; two factors affine in the inputs
 * (c0 + Σ a_i·x_i) expand into monomials (x_i·x_j products and x_i² squares). Anything else has
 * no atom to hold it here: null.
 */
export function mulLins(p: Lin, q: Lin): Lin | null {
  if (p.terms.length === 0) return scaleLin(q, p.c0);
  if (q.terms.length === 0) return scaleLin(p, q.c0);
  const affine = (l: Lin) => l.terms.every((t) => t.atom.kind === 'var');
  if (!affine(p) || !affine(q)) return null;
  const parts: Lin[] = [
    constLin(p.c0 * q.c0),
    scaleLin({ c0: 0, terms: q.terms }, p.c0),
    scaleLin({ c0: 0, terms: p.terms }, q.c0),
  ];
  for (const s of p.terms) {
    for (const t of q.terms) {
      if (s.atom.kind !== 'var' || t.atom.kind !== 'var') continue;
      parts.push({ c0: 0, terms: [{ coef: s.coef * t.coef, atom: monomial(s.atom.index, t.atom.index) }] });
    }
  }
  return addLins(parts);
}

/** Σ of Lins, equal atoms merged (their coefficients added). */
export function addLins(ls: readonly Lin[]): Lin {
  let c0 = 0;
  const byKey = new Map<string, { coef: number; atom: Atom }>();
  for (const l of ls) {
    c0 += l.c0;
    for (const t of l.terms) {
      const k = atomKey(t.atom);
      const cur = byKey.get(k);
      if (cur) cur.coef += t.coef;
      else byKey.set(k, { coef: t.coef, atom: t.atom });
    }
  }
  return { c0, terms: [...byKey.values()].filter((t) => t.coef !== 0) };
}

/** Piecewise-linear interpolation, clamped at the ends; returns value and slope. */
export function interp(xs: Float64Array, ys: Float64Array, u: number): { v: number; s: number } {
  const n = xs.length;
  if (u <= xs[0]) return { v: ys[0], s: 0 };
  if (u >= xs[n - 1]) return { v: ys[n - 1], s: 0 };
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= u) lo = mid;
    else hi = mid;
  }
  const s = (ys[hi] - ys[lo]) / (xs[hi] - xs[lo]);
  return { v: ys[lo] + s * (u - xs[lo]), s };
}

/** The constants in the tree's depth-first order. */
export function constantsOf(l: Lin, out: number[] = []): number[] {
  out.push(l.c0);
  for (const t of l.terms) {
    out.push(t.coef);
    if (hasArg(t.atom)) constantsOf(t.atom.arg, out);
  }
  return out;
}

/** The same tree with its constants replaced, in constantsOf order. */
export function withConstants(l: Lin, values: ArrayLike<number>, cur = { i: 0 }): Lin {
  const c0 = values[cur.i++];
  const terms = l.terms.map((t) => {
    const coef = values[cur.i++];
    const atom: Atom = hasArg(t.atom) ? { ...t.atom, arg: withConstants(t.atom.arg, values, cur) } : t.atom;
    return { coef, atom };
  });
  return { c0, terms };
}

/** Atoms that are a function of an argument Lin (fn, spline), as opposed to plain inputs. */
export function hasArg(a: Atom): a is Extract<Atom, { arg: Lin }> {
  return a.kind === 'fn' || a.kind === 'spline';
}

function atomValue(a: Atom, p: ArrayLike<number>, cur: { i: number }, x: ArrayLike<number>): number {
  if (a.kind === 'var') return x[a.index];
  if (a.kind === 'prod') return x[a.a] * x[a.b];
  const u = evalLin(a.arg, p, cur, x);
  return a.kind === 'fn' ? snapPrimitive(a.fn).f(u) : interp(a.xs, a.ys, u).v;
}

/** Value of the Lin at input row x with constants p (depth-first order from cur.i). */
export function evalLin(l: Lin, p: ArrayLike<number>, cur: { i: number }, x: ArrayLike<number>): number {
  let v = p[cur.i++];
  for (const t of l.terms) {
    const coef = p[cur.i++];
    v += coef * atomValue(t.atom, p, cur, x);
  }
  return v;
}

/** Value of the Lin; adds w·∂value/∂p into g (reverse mode, re-evaluating each argument once). */
export function gradLin(
  l: Lin,
  p: ArrayLike<number>,
  cur: { i: number },
  x: ArrayLike<number>,
  w: number,
  g: Float64Array,
): number {
  g[cur.i] += w;
  let v = p[cur.i++];
  for (const t of l.terms) {
    const ci = cur.i++;
    const coef = p[ci];
    const a = t.atom;
    let av: number;
    if (a.kind === 'var') av = x[a.index];
    else if (a.kind === 'prod') av = x[a.a] * x[a.b];
    else {
      const u = evalLin(a.arg, p, { i: cur.i }, x);
      let du: number;
      if (a.kind === 'fn') {
        const prim = snapPrimitive(a.fn);
        av = prim.f(u);
        du = prim.df(u);
      } else ({ v: av, s: du } = interp(a.xs, a.ys, u));
      gradLin(a.arg, p, cur, x, w * coef * du, g);
    }
    g[ci] += w * av;
    v += coef * av;
  }
  return v;
}
