/**
 * Symbolic edges (pykan's fix_symbolic): an edge whose learned spline is replaced by a fixed
 * formula φ(x) = c·f(a·x + b) + d. The edge's numeric part (silu + spline) is masked off, so
 * training keeps updating every other parameter while this edge stays as written.
 *
 * a, b, c, d are fixed here (no fine-tuning of the affine parameters); fit them before fixing,
 * for example by least squares of c, d for a grid of (a, b) on the edge's samples.
 */

export interface SymbolicFunction {
  /** Name for inspection and serialisation, e.g. 'sin', 'x^2', 'exp'. */
  readonly name: string;
  /** The univariate function f. */
  readonly f: (u: number) => number;
  /** Its derivative f′; when absent a central difference is used (needed for ∂φ/∂x only). */
  readonly df?: (u: number) => number;
}

/** A fixed edge c·f(a·x + b) + d. */
export interface SymbolicEdge extends SymbolicFunction {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

/** φ(x) of a symbolic edge. */
export function evalSymbolic(s: SymbolicEdge, x: number): number {
  return s.c * s.f(s.a * x + s.b) + s.d;
}

/** dφ/dx = c·a·f′(a·x + b), with a central difference (step 1e-6·max(1, |u|)) when f′ is absent. */
export function slopeSymbolic(s: SymbolicEdge, x: number): number {
  const u = s.a * x + s.b;
  let du: number;
  if (s.df) du = s.df(u);
  else {
    const h = 1e-6 * Math.max(1, Math.abs(u));
    du = (s.f(u + h) - s.f(u - h)) / (2 * h);
  }
  return s.c * s.a * du;
}
