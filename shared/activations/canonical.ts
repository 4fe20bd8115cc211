/**
 * Canonicalisation: turn a function f on an input window [lo, hi] into the canonical shape ψ
 * on z ∈ [-1, 1] whose minimum is −1 and maximum 1, plus the `natural` affine that gives f
 * back: f(x) = c·ψ(a·x + b) + d. Affine copies of one shape thus land on the same ψ, which is
 * what makes library entries comparable and deduplicable.
 *   a = 2/(hi − lo), b = −(hi + lo)/(hi − lo)  maps [lo, hi] onto [-1, 1];
 *   c = (M − m)/2,   d = (M + m)/2             with m, M the min and max of f on the window.
 */
import { LibraryEntryError } from '../errors.js';
import type { AffinePrimitiveParams } from './forms/affine-primitive.js';
import type { Primitive } from './primitives.js';
import type { Affine } from './types.js';

/** A range narrower than this (relative to the function's magnitude) counts as constant. */
export const CONSTANT_RTOL = 1e-9;
const GRID = 2001;
const INV_PHI = (Math.sqrt(5) - 1) / 2;

/** Golden-section search for the minimum of g on [lo, hi]. */
function goldenMin(g: (x: number) => number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  for (let it = 0; it < 80 && b - a > 1e-15 * (1 + Math.abs(a)); it++) {
    const x1 = b - INV_PHI * (b - a);
    const x2 = a + INV_PHI * (b - a);
    if (g(x1) < g(x2)) b = x2;
    else a = x1;
  }
  return g((a + b) / 2);
}

/** Min and max of f on [lo, hi]: a dense grid, then golden-section refinement around interior extremes. */
export function rangeOf(f: (x: number) => number, lo: number, hi: number): { min: number; max: number } {
  const h = (hi - lo) / (GRID - 1);
  let iMin = 0;
  let iMax = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < GRID; i++) {
    const v = f(i === GRID - 1 ? hi : lo + i * h);
    if (!Number.isFinite(v)) throw new LibraryEntryError(`the function is not finite at x = ${lo + i * h}`);
    if (v < min) [min, iMin] = [v, i];
    if (v > max) [max, iMax] = [v, i];
  }
  const win = (i: number): [number, number] => [
    lo + Math.max(i - 1, 0) * h,
    lo + Math.min(i + 1, GRID - 1) * h,
  ];
  if (iMin > 0 && iMin < GRID - 1) min = Math.min(min, goldenMin(f, ...win(iMin)));
  if (iMax > 0 && iMax < GRID - 1) max = Math.max(max, -goldenMin((x) => -f(x), ...win(iMax)));
  return { min, max };
}

/** The input map of a window: z = a·x + b sends [lo, hi] to [-1, 1]. */
export function windowMap(lo: number, hi: number): { a: number; b: number } {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new LibraryEntryError(`input window [${lo}, ${hi}] must be finite with lo < hi`);
  }
  return { a: 2 / (hi - lo), b: -(hi + lo) / (hi - lo) + 0 }; // + 0 folds −0 into 0
}

function outputMap(min: number, max: number, what: string): { c: number; d: number } {
  const scale = Math.max(Math.abs(min), Math.abs(max), 1e-300);
  if (!(max - min > CONSTANT_RTOL * scale)) {
    throw new LibraryEntryError(
      `${what} is (nearly) constant (range [${min}, ${max}]); a constant has no activation shape`,
    );
  }
  return { c: (max - min) / 2, d: (max + min) / 2 };
}

export interface CanonicalFunction {
  /** ψ(z) on [-1, 1]. */
  readonly psi: (z: number) => number;
  readonly natural: Affine;
}

/** Canonical shape of a callable f on [lo, hi]. */
export function canonicalizeFunction(f: (x: number) => number, lo: number, hi: number): CanonicalFunction {
  const { a, b } = windowMap(lo, hi);
  const { min, max } = rangeOf(f, lo, hi);
  const { c, d } = outputMap(min, max, `f on [${lo}, ${hi}]`);
  const mid = (hi + lo) / 2;
  const half = (hi - lo) / 2;
  return { psi: (z) => (f(half * z + mid) - min) / c - 1, natural: { a, b, c, d } };
}

export interface CanonicalSamples {
  readonly z: Float64Array;
  readonly psi: Float64Array;
  readonly natural: Affine;
}

/** Canonical shape of samples (x_i, y_i); the window is [min x, max x]. */
export function canonicalizeSamples(xs: ArrayLike<number>, ys: ArrayLike<number>): CanonicalSamples {
  if (xs.length !== ys.length || xs.length < 2) {
    throw new LibraryEntryError(
      `samples need matching x and y of length ≥ 2 (got ${xs.length}, ${ys.length})`,
    );
  }
  let lo = Infinity;
  let hi = -Infinity;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) {
      throw new LibraryEntryError(`sample ${i} is not finite (x = ${xs[i]}, y = ${ys[i]})`);
    }
    lo = Math.min(lo, xs[i]);
    hi = Math.max(hi, xs[i]);
    min = Math.min(min, ys[i]);
    max = Math.max(max, ys[i]);
  }
  const { a, b } = windowMap(lo, hi);
  const { c, d } = outputMap(min, max, 'the samples');
  const z = new Float64Array(xs.length);
  const psi = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    z[i] = Math.min(1, Math.max(-1, a * xs[i] + b));
    psi[i] = (ys[i] - min) / c - 1; // exactly −1 and 1 at the extremes
  }
  return { z, psi, natural: { a, b, c, d } };
}

/**
 * Classic/symbolic params for primitive f on window [lo, hi]: ψ(z) = γ·f(α·z + β) + δ with
 * α, β the window's half-width and centre, and γ, δ normalising f's range there to [-1, 1].
 */
export function canonicalAffineParams<N extends string>(
  fn: N,
  prim: Primitive,
  lo: number,
  hi: number,
): { params: AffinePrimitiveParams<N>; natural: Affine } {
  const { a, b } = windowMap(lo, hi);
  const { min, max } = rangeOf(prim.f, lo, hi);
  const { c, d } = outputMap(min, max, `${fn} on [${lo}, ${hi}]`);
  const params = { fn, alpha: (hi - lo) / 2, beta: (hi + lo) / 2, gamma: 1 / c, delta: -d / c };
  return { params, natural: { a, b, c, d } };
}
