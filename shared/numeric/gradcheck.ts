/**
 * Finite-difference check of backward rules, in the spirit of micrograd's test_engine.py:
 * compare each analytic gradient entry with the central difference
 *   (L(θ + ε·eᵢ) − L(θ − ε·eᵢ)) / 2ε
 * whose error is O(ε²) where L is smooth. Pick points away from kinks (relu, abs at 0).
 *
 * @example
 *   const w = Var.param([0.3, -0.2], [2]);
 *   const r = gradcheck((t) => sum(t, tanh(t, w)), [w]);
 *   expect(r.ok).toBe(true);
 */
import { ShapeError } from '../errors.js';
import { Tape, type Var } from './tape.js';

export interface GradcheckOptions {
  /** Finite-difference half step. @defaultValue 1e-6 */
  readonly eps: number;
  /** Relative tolerance: an entry passes when |analytic − numeric| ≤ atol + rtol·|numeric|. @defaultValue 1e-5 */
  readonly rtol: number;
  /** Absolute tolerance. @defaultValue 1e-7 */
  readonly atol: number;
}

export const GRADCHECK_DEFAULTS: Readonly<GradcheckOptions> = Object.freeze({
  eps: 1e-6,
  rtol: 1e-5,
  atol: 1e-7,
});

export interface GradcheckResult {
  /** True when every entry of every parameter is within atol + rtol·|numeric|. */
  readonly ok: boolean;
  /** Largest |analytic − numeric| over all entries. */
  readonly maxAbsError: number;
  /** Largest |analytic − numeric| / max(|analytic|, |numeric|, atol). */
  readonly maxRelError: number;
  /** Where the worst entry (by tolerance ratio) sits, for the failure message. */
  readonly worst: {
    readonly param: number;
    readonly label: string;
    readonly index: number;
    readonly analytic: number;
    readonly numeric: number;
  };
  /** Entries compared. */
  readonly checked: number;
}

/**
 * @param build  builds a scalar loss from the params on the tape it is given; called once for
 *               the backward pass and twice per parameter entry, so it must be deterministic.
 * @param params the Vars to check (requiresGrad); their data is perturbed and restored.
 */
export function gradcheck(
  build: (tape: Tape) => Var,
  params: readonly Var[],
  options: Partial<GradcheckOptions> = {},
): GradcheckResult {
  const { eps, rtol, atol } = { ...GRADCHECK_DEFAULTS, ...options };
  for (const p of params) p.zeroGrad();
  const tape = new Tape();
  const loss = build(tape);
  if (loss.size !== 1)
    throw new ShapeError(`gradcheck: build() must return a scalar, got [${loss.shape.join(', ')}]`);
  tape.backward(loss);
  const analytic = params.map((p) => (p.grad ? Float64Array.from(p.grad) : new Float64Array(p.size)));
  const evaluate = (): number => build(new Tape()).data[0]!;

  let maxAbsError = 0;
  let maxRelError = 0;
  let worstRatio = -1;
  let worst = { param: -1, label: '', index: -1, analytic: 0, numeric: 0 };
  let checked = 0;
  for (let p = 0; p < params.length; p++) {
    const data = params[p]!.data;
    for (let i = 0; i < data.length; i++) {
      const saved = data[i]!;
      data[i] = saved + eps;
      const plus = evaluate();
      data[i] = saved - eps;
      const minus = evaluate();
      data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[p]![i]!;
      const err = Math.abs(a - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      maxRelError = Math.max(maxRelError, err / Math.max(Math.abs(a), Math.abs(numeric), atol));
      const ratio = err / (atol + rtol * Math.abs(numeric));
      if (!(ratio <= worstRatio)) {
        worstRatio = ratio;
        worst = { param: p, label: params[p]!.label, index: i, analytic: a, numeric };
      }
      checked++;
    }
  }
  for (const p of params) p.zeroGrad();
  return { ok: worstRatio <= 1, maxAbsError, maxRelError, worst, checked };
}
