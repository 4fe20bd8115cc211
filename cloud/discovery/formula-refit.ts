/**
 * Least-squares refit of a formula's free constants to data (pykan refits after auto_symbolic):
 * L-BFGS (shared/numeric/lbfgs.ts) on the mean squared error normalised by the targets' variance,
 * with the exact gradient from formula-tree's reverse pass. The result is put back in normal form
 * (the refit may move constants that fnTerm folds away, e.g. a constant inside exp). Used to report a formula's test RMSE.
 */
import { type LbfgsOptions, lbfgs } from '../../shared/numeric/lbfgs.js';
import { type Formula, formulaRmse, makeFormula } from './formula.js';
import { normalise } from './formula-simplify.js';
import { gradLin, withConstants } from './formula-tree.js';

export interface RefitResult {
  readonly formula: Formula;
  /** RMSE on (X, Y) after the refit. */
  readonly rmse: number;
  readonly iterations: number;
  readonly converged: boolean;
}

export const REFIT_DEFAULTS: Partial<LbfgsOptions> = Object.freeze({
  maxIterations: 1000,
  gradTol: 1e-16,
  lossTol: 0,
  stepTol: 1e-16,
  history: 20,
});

/** Refit every constant of f to rows X ([n, inputs]) and targets Y ([n, outputs]). */
export function refitFormula(
  f: Formula,
  X: ArrayLike<number>,
  Y: ArrayLike<number>,
  options: Partial<LbfgsOptions> = {},
): RefitResult {
  const d = f.inputNames.length;
  const m = f.outputs.length;
  const n = Math.floor(X.length / d);
  const rows = Array.from({ length: n }, (_, r) => Float64Array.from({ length: d }, (_, k) => X[r * d + k]));
  let mean = 0;
  for (let i = 0; i < n * m; i++) mean += Y[i] / (n * m);
  let v = 0;
  for (let i = 0; i < n * m; i++) v += (Y[i] - mean) ** 2 / (n * m);
  const norm = 1 / (n * m * Math.max(v, 1e-300));
  const objective = (p: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0;
    const scratch = new Float64Array(p.length);
    for (let r = 0; r < n; r++) {
      const cur = { i: 0 };
      for (let k = 0; k < m; k++) {
        const start = cur.i;
        scratch.fill(0);
        const val = gradLin(f.outputs[k], p, cur, rows[r], 1, scratch);
        const res = val - Y[r * m + k];
        loss += res * res * norm;
        for (let j = start; j < cur.i; j++) g[j] += 2 * res * norm * scratch[j];
      }
    }
    return Number.isFinite(loss) ? loss : Infinity;
  };
  const res = lbfgs(objective, Float64Array.from(f.constants), { ...REFIT_DEFAULTS, ...options });
  const cur = { i: 0 };
  const formula = makeFormula(
    f.outputs.map((l) => normalise(withConstants(l, res.x, cur))),
    f.inputNames,
  );
  return { formula, rmse: formulaRmse(formula, X, Y), iterations: res.iterations, converged: res.converged };
}
