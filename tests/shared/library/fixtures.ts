/** Library entries for tests: Chebyshev fits of plain functions, as a KAN run would produce them. */
import {
  type ActivationEntry,
  buildEntry,
  canonicalizeFunction,
  fitChebyshev,
} from '../../../shared/activations/index.js';

export function fitted(
  name: string,
  f: (x: number) => number,
  lo: number,
  hi: number,
  usage: { count: number; byTask: Record<string, number> } = { count: 0, byTask: {} },
): ActivationEntry {
  const { psi, natural } = canonicalizeFunction(f, lo, hi);
  const fit = fitChebyshev(psi, { tol: 1e-7 });
  const e = buildEntry({
    name,
    form: 'chebyshev',
    params: fit.params,
    tail: 'linear',
    natural,
    provenance: { source: 'kan', family: 'test', layer: 0, edge: '0->1' },
    fitError: fit.error,
  });
  return { ...e, meta: { ...e.meta, usage } };
}

/** sin(x) + 0.3x² on [-2, 3]: a shape no builtin has. */
export const bumpy = (x: number) => Math.sin(x) + 0.3 * x * x;
/** x³ − x on [-1.5, 1.5]. */
export const cubic = (x: number) => x ** 3 - x;
