/**
 * Simplification of a formula over the data it describes:
 *   1. normal form again (fnTerm pulls scales out of arguments, equal atoms merge, zero terms go);
 *   2. drop terms whose spread over the data is below dropTol of their sum's spread, adding their
 *      mean to the constant (a near-flat edge is a constant, not a shape);
 *   3. snap constants within snapWindow of 0, ±1, ±2, ±½, ±π, ±π/2, ±2π or e, one at a time,
 *      keeping a snap only when the RMSE against the reference (the targets Y when given, else the
 *      formula's own values) grows by at most snapTol relative (plus 1e-7 of the targets' magnitude, so a
 *      rounding-level constant can go): snapping must not hurt accuracy.
 * Constant folding happens in fnTerm (a function of a constant is a constant).
 */
import { type Formula, fnTerm, formulaRmse, makeFormula } from './formula.js';
import { type Atom, addLins, constantsOf, evalLin, hasArg, type Lin, withConstants } from './formula-tree.js';

export interface SimplifyOptions {
  /** Relative spread below which a term is dropped. @defaultValue 1e-4 */
  readonly dropTol?: number;
  /** Relative distance within which a constant is tried at a snap value. @defaultValue 0.02 */
  readonly snapWindow?: number;
  /** Relative RMSE growth a snap may cause. @defaultValue 0.01 */
  readonly snapTol?: number;
}

export const SIMPLIFY_DEFAULTS = Object.freeze({ dropTol: 1e-4, snapWindow: 0.02, snapTol: 0.01 });

const SNAP_VALUES = [
  0,
  1,
  -1,
  2,
  -2,
  0.5,
  -0.5,
  Math.PI,
  -Math.PI,
  Math.PI / 2,
  -Math.PI / 2,
  2 * Math.PI,
  Math.E,
];

/** The normal form of a tree, bottom-up. */
export function normalise(l: Lin): Lin {
  const parts: Lin[] = [{ c0: l.c0, terms: [] }];
  for (const t of l.terms) {
    if (t.coef === 0) continue;
    const a = t.atom;
    if (a.kind === 'var' || a.kind === 'prod') parts.push({ c0: 0, terms: [t] });
    else if (a.kind === 'spline')
      parts.push({ c0: 0, terms: [{ coef: t.coef, atom: { ...a, arg: normalise(a.arg) } }] });
    else parts.push(fnTerm(a.fn, normalise(a.arg), t.coef, 0));
  }
  return addLins(parts);
}

function valuesOver(l: Lin, rows: readonly Float64Array[]): Float64Array {
  const p = constantsOf(l);
  return Float64Array.from(rows, (r) => evalLin(l, p, { i: 0 }, r));
}

function spread(v: Float64Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  return hi - lo;
}

/** Drop negligible terms bottom-up (see the file header). */
function dropNegligible(l: Lin, rows: readonly Float64Array[], tol: number): Lin {
  const terms = l.terms.map((t) => {
    const a: Atom = hasArg(t.atom) ? { ...t.atom, arg: dropNegligible(t.atom.arg, rows, tol) } : t.atom;
    return { coef: t.coef, atom: a };
  });
  const whole = spread(valuesOver({ c0: 0, terms }, rows));
  let c0 = l.c0;
  const kept = terms.filter((t) => {
    const v = valuesOver({ c0: 0, terms: [t] }, rows);
    if (terms.length > 1 && spread(v) <= tol * whole) {
      c0 += v.reduce((s, x) => s + x, 0) / Math.max(v.length, 1);
      return false;
    }
    return true;
  });
  return { c0, terms: kept };
}

function split(f: Formula, flat: Float64Array): Lin[] {
  const cur = { i: 0 };
  return f.outputs.map((l) => withConstants(l, flat, cur));
}

/** Simplify over input rows X ([n, inputs]); Y ([n, outputs]) makes snapping judge against data. */
export function simplifyFormula(
  f: Formula,
  X: ArrayLike<number>,
  Y?: ArrayLike<number>,
  options: SimplifyOptions = {},
): Formula {
  const o = { ...SIMPLIFY_DEFAULTS, ...options };
  const d = f.inputNames.length;
  const rows = Array.from({ length: Math.floor(X.length / d) }, (_, r) =>
    Float64Array.from({ length: d }, (_, k) => X[r * d + k]),
  );
  let g = makeFormula(
    f.outputs.map((l) => normalise(dropNegligible(normalise(l), rows, o.dropTol))),
    f.inputNames,
  );
  const ref = Y ?? new Float64Array(0);
  const target = Y === undefined ? Float64Array.from(rows.flatMap((r) => g.evaluate(r))) : ref;
  const p = Float64Array.from(g.constants);
  let err = formulaRmse(g, X, target, p);
  let scale = 0;
  for (let i = 0; i < target.length; i++) scale = Math.max(scale, Math.abs(target[i]));
  for (let k = 0; k < p.length; k++) {
    const v = p[k];
    const snap = SNAP_VALUES.find(
      (s) => s !== v && Math.abs(v - s) <= o.snapWindow * Math.max(1, Math.abs(s)),
    );
    if (snap === undefined) continue;
    p[k] = snap;
    const e = formulaRmse(g, X, target, p);
    if (e <= err * (1 + o.snapTol) + 1e-7 * scale) err = e;
    else p[k] = v;
  }
  g = makeFormula(split(g, p).map(normalise), f.inputNames);
  return g;
}
