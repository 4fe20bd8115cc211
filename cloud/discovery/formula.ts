/**
 * The formula of a KAN, built from its edges: node j of layer l+1 = Σ_i φ_lij(node i of layer l),
 * where φ is a snapped closed form c·f(a·u + b) + d or, for an edge that did not snap, the spline
 * itself (piecewise-linear in its samples). The result is an expression tree in normal form
 * (formula-tree.ts) with readable text, an evaluator, and its free constants; simplification and
 * the least-squares refit of those constants live in formula-simplify.ts and formula-refit.ts.
 */

import type { SymbolicName } from '../../shared/activations/forms/symbolic.js';
import { InputError } from '../../shared/errors.js';
import { linText } from './formula-print.js';
import {
  addLins,
  constantsOf,
  constLin,
  evalLin,
  type Lin,
  monomial,
  mulLins,
  scaleLin,
  varLin,
} from './formula-tree.js';
import { type SnapFit, snapPrimitive } from './symbolic.js';

/** One active edge of layer `layer`, from node i to node j. */
export type EdgeSpec = { readonly layer: number; readonly i: number; readonly j: number } & (
  | { readonly fit: Pick<SnapFit, 'fn' | 'a' | 'b' | 'c' | 'd'> }
  | { readonly fit: 'spline'; readonly x: ArrayLike<number>; readonly y: ArrayLike<number> }
);

export interface Formula {
  /** One tree per output node. */
  readonly outputs: readonly Lin[];
  readonly inputNames: readonly string[];
  /** Free constants of all outputs, in depth-first order (see formula-tree.ts). */
  readonly constants: Float64Array;
  /** Readable text per output. */
  readonly text: readonly string[];
  /** Outputs at one input row; `constants` overrides the formula's own. */
  evaluate(x: ArrayLike<number>, constants?: ArrayLike<number>): number[];
}

export interface FormulaOptions {
  /** @defaultValue x1, x2, … */
  readonly inputNames?: readonly string[];
  /**
   * Product nodes per node layer (cloud/kan/mult.ts): an edge's j then counts sub-nodes, and
   * each pair of sub-node sums multiplies into one node. @defaultValue all 0
   */
  readonly mult?: readonly number[];
}

/**
 * c·f(u) + d with the redundant scale of u (its first term's coefficient q) pulled out where that
 * is exact, so constants stay identifiable and print plainly: exp(u + k) = e^k·exp(u); (q·v + b)ⁿ = qⁿ·(v + b/q)ⁿ;
 * 1/(q·v + b) = (1/q)·1/(v + b/q); |q·v + b| = |q|·|v + b/q|; √ and log for q > 0. A constant
 * argument folds to a constant.
 */
export function fnTerm(fn: SymbolicName, u: Lin, c: number, d: number): Lin {
  if (fn === 'x') return scaleLin(u, c, d);
  if (u.terms.length === 0) return constLin(c * snapPrimitive(fn).f(u.c0) + d);
  if (fn === 'x2' && u.terms.length > 1 && u.terms.every((t) => t.atom.kind === 'var'))
    return scaleLin(expandSquare(u), c, d);
  if (fn === 'sin' || fn === 'cos') return trigTerm(fn, u, c, d);
  let arg = u;
  let k = 1;
  let add = 0;
  // the first term's coefficient comes out, so an argument reads x + 0.5·y, not 0.28·x + 0.14·y
  const q = u.terms[0].coef;
  if (fn === 'exp') {
    k = Math.exp(u.c0);
    arg = { ...u, c0: 0 };
  } else if (q !== 0 && q !== 1) {
    const unit = scaleLin(u, 1 / q);
    if (fn === 'x2' || fn === 'x3' || fn === 'x4') [arg, k] = [unit, q ** Number(fn[1])];
    else if (fn === 'abs') [arg, k] = [unit, Math.abs(q)];
    else if (fn === 'inv') [arg, k] = [unit, 1 / q];
    else if (fn === 'sqrt' && q > 0) [arg, k] = [unit, Math.sqrt(q)];
    else if (fn === 'log' && q > 0) [arg, add] = [unit, Math.log(q)];
  }
  return { c0: d + c * add, terms: [{ coef: c * k, atom: { kind: 'fn', fn, arg } }] };
}

/**
 * (c0 + Σ a_i·x_i)² as monomials. A KAN multiplies with squares (x·y = ((x + y)² − (x − y)²)/4,
 * the KAN paper's §4 multiplication): expanding them makes the squares cancel and the product
 * appear as x·y.
 */
function expandSquare(u: Lin): Lin {
  const parts: Lin[] = [constLin(u.c0 * u.c0), scaleLin({ c0: 0, terms: u.terms }, 2 * u.c0)];
  for (const [p, s] of u.terms.entries()) {
    for (const [q, t] of u.terms.entries()) {
      if (q < p || s.atom.kind !== 'var' || t.atom.kind !== 'var') continue;
      const coef = (p === q ? 1 : 2) * s.coef * t.coef;
      parts.push({ c0: 0, terms: [{ coef, atom: monomial(s.atom.index, t.atom.index) }] });
    }
  }
  return addLins(parts);
}

const TAU = 2 * Math.PI;
const near = (v: number, w: number) => Math.abs(v - w) <= 1e-12 * Math.max(1, Math.abs(w));

/**
 * c·sin(u) + d and c·cos(u) + d in one canonical form: the argument's leading coefficient
 * positive (sin(−u) = −sin u, cos(−u) = cos u), its constant reduced into (−π, π], and a phase of
 * ±π or ±π/2 turned into a sign or the other function (sin(u + π) = −sin u,
 * cos(u − π/2) = sin u, …). Exact identities only, so values never change.
 */
function trigTerm(fn: 'sin' | 'cos', u: Lin, c: number, d: number): Lin {
  let arg = u;
  let k = c;
  let f: 'sin' | 'cos' = fn;
  if (arg.terms[0]!.coef < 0) {
    arg = scaleLin(arg, -1);
    if (f === 'sin') k = -k;
  }
  let phase = arg.c0 - TAU * Math.round(arg.c0 / TAU);
  if (near(phase, -Math.PI)) phase = Math.PI;
  if (near(phase, Math.PI)) {
    k = -k;
    phase = 0;
  } else if (near(phase, Math.PI / 2)) {
    // sin(v + π/2) = cos v; cos(v + π/2) = −sin v
    if (f === 'cos') k = -k;
    f = f === 'sin' ? 'cos' : 'sin';
    phase = 0;
  } else if (near(phase, -Math.PI / 2)) {
    // sin(v − π/2) = −cos v; cos(v − π/2) = sin v
    if (f === 'sin') k = -k;
    f = f === 'sin' ? 'cos' : 'sin';
    phase = 0;
  }
  arg = { c0: phase, terms: arg.terms };
  return { c0: d, terms: [{ coef: k, atom: { kind: 'fn', fn: f, arg } }] };
}

/** Wrap finished trees as a Formula (text, constants, evaluator). */
export function makeFormula(outputs: readonly Lin[], inputNames: readonly string[]): Formula {
  const constants = Float64Array.from(outputs.flatMap((l) => constantsOf(l)));
  return {
    outputs,
    inputNames,
    constants,
    text: outputs.map((l) => linText(l, inputNames)),
    evaluate(x, p = constants) {
      const cur = { i: 0 };
      return outputs.map((l) => evalLin(l, p, cur, x));
    },
  };
}

/** The formula of a KAN with layer widths `widths` from its active edges. */
export function buildFormula(
  widths: readonly number[],
  edges: readonly EdgeSpec[],
  options: FormulaOptions = {},
): Formula {
  if (widths.length < 2)
    throw new InputError(`formula: widths needs ≥ 2 layers (got [${widths.join(', ')}])`);
  const names = options.inputNames ?? Array.from({ length: widths[0] }, (_, i) => `x${i + 1}`);
  let nodes: Lin[] = Array.from({ length: widths[0] }, (_, i) => varLin(i));
  for (let l = 0; l + 1 < widths.length; l++) {
    const mult = options.mult?.[l + 1] ?? 0;
    const sums: Lin[][] = Array.from({ length: widths[l + 1] + mult }, () => []);
    for (const e of edges) {
      if (e.layer !== l) continue;
      if (!(e.i >= 0 && e.i < widths[l] && e.j >= 0 && e.j < widths[l + 1] + mult)) {
        throw new InputError(
          `formula: edge (${e.layer}, ${e.i}, ${e.j}) is outside widths [${widths.join(', ')}]`,
        );
      }
      sums[e.j].push(edgeLin(e, nodes[e.i]));
    }
    nodes = productNodes(
      sums.map((s) => addLins(s)),
      mult,
      l + 1,
    );
  }
  return makeFormula(nodes, names);
}

/** Node values from sub-node sums: the last 2·mult pair up into products (cloud/kan/mult.ts). */
function productNodes(subs: Lin[], mult: number, layer: number): Lin[] {
  if (mult === 0) return subs;
  const nAdd = subs.length - 2 * mult;
  const nodes = subs.slice(0, nAdd);
  for (let m = 0; m < mult; m++) {
    const p = mulLins(subs[nAdd + 2 * m]!, subs[nAdd + 2 * m + 1]!);
    if (!p) {
      throw new InputError(
        `formula: product node ${nAdd + m} of layer ${layer} multiplies factors that are not affine in the inputs; only such products expand`,
      );
    }
    nodes.push(p);
  }
  return nodes;
}

function edgeLin(e: EdgeSpec, u: Lin): Lin {
  if (e.fit !== 'spline') {
    const { fn, a, b, c, d } = e.fit;
    return fnTerm(fn, scaleLin(u, a, b), c, d);
  }
  const s = e as Extract<EdgeSpec, { fit: 'spline' }>;
  const order = Array.from({ length: s.x.length }, (_, k) => k).sort((p, q) => s.x[p] - s.x[q] || p - q);
  const xs = Float64Array.from(order, (k) => s.x[k]);
  const ys = Float64Array.from(order, (k) => s.y[k]);
  return {
    c0: 0,
    terms: [{ coef: 1, atom: { kind: 'spline', edge: `${e.layer},${e.i},${e.j}`, xs, ys, arg: u } }],
  };
}

/** Evaluate every output over rows X ([n, inputs] row-major); returns [n, outputs] row-major. */
export function evaluateRows(f: Formula, X: ArrayLike<number>, constants?: ArrayLike<number>): Float64Array {
  const d = f.inputNames.length;
  const n = Math.floor(X.length / d);
  const m = f.outputs.length;
  const out = new Float64Array(n * m);
  const row = new Float64Array(d);
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < d; k++) row[k] = X[r * d + k];
    const v = f.evaluate(row, constants);
    for (let k = 0; k < m; k++) out[r * m + k] = v[k];
  }
  return out;
}

/** Root mean squared error of the formula on rows X against targets Y ([n, outputs]). */
export function formulaRmse(
  f: Formula,
  X: ArrayLike<number>,
  Y: ArrayLike<number>,
  constants?: ArrayLike<number>,
): number {
  const p = evaluateRows(f, X, constants);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i] - Y[i]) ** 2;
  return Math.sqrt(s / Math.max(p.length, 1));
}
