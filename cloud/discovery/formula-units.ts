/**
 * A formula learned on normalised data, read back in the user's units: every normalised input
 * v_i = (raw_i − shift_i)/scale_i is substituted into the tree and the output is mapped back,
 * y = shift_t + scale_t·ŷ. The result is put in normal form again (formula-simplify's normalise),
 * so the substituted scales are pulled out of function arguments where that is exact and the
 * constants read as they would in the user's own formula.
 */
import { type Formula, makeFormula } from './formula.js';
import { normalise } from './formula-simplify.js';
import { type Atom, addLins, type Lin, mulLins, scaleLin } from './formula-tree.js';
import type { TaskScaling } from './tasks.js';

/** l with every input variable i replaced by the Lin sub[i] (affine in the inputs). */
export function substituteInputs(l: Lin, sub: readonly Lin[]): Lin {
  const parts: Lin[] = [{ c0: l.c0, terms: [] }];
  for (const t of l.terms) {
    const a = t.atom;
    if (a.kind === 'var') parts.push(scaleLin(sub[a.index]!, t.coef));
    else if (a.kind === 'prod') {
      // a product of raw-unit factors: each factor (α_i·x_i + β_i) expands into monomials
      parts.push(scaleLin(mulLins(sub[a.a]!, sub[a.b]!)!, t.coef));
    } else {
      const atom: Atom = { ...a, arg: substituteInputs(a.arg, sub) };
      parts.push({ c0: 0, terms: [{ coef: t.coef, atom }] });
    }
  }
  return addLins(parts);
}

/** The formula in raw units: inputs and output unscaled, then normal form. */
export function toUserUnits(f: Formula, scaling: TaskScaling): Formula {
  const sub: Lin[] = scaling.inputs.map((s, i) => ({
    c0: -s.shift / s.scale,
    terms: [{ coef: 1 / s.scale, atom: { kind: 'var', index: i } }],
  }));
  const t = scaling.target;
  return makeFormula(
    f.outputs.map((l) => normalise(scaleLin(substituteInputs(l, sub), t.scale, t.shift))),
    f.inputNames,
  );
}

/** Normalised rows back in raw units: x·scale + shift per column. */
export function unscaleInputs(x: Float64Array, scaling: TaskScaling): Float64Array {
  const d = scaling.inputs.length;
  return x.map((v, k) => v * scaling.inputs[k % d]!.scale + scaling.inputs[k % d]!.shift);
}

export function unscaleTarget(y: Float64Array, scaling: TaskScaling): Float64Array {
  return y.map((v) => v * scaling.target.scale + scaling.target.shift);
}
