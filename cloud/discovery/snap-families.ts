/**
 * Per-candidate search spaces for snapping, in normalised input t ∈ [-1, 1]: which inner
 * parameters are free (the others are redundant with c or d), the grid of starting (A, B), and
 * the map from a raw fit (a, b, c, d) in x coordinates to a readable normal form that computes the
 * same function (a = 1 for powers, b = 0 for exp, a > 0 and c > 0 for sin, …).
 */
import type { SymbolicName } from '../../shared/activations/forms/symbolic.js';
import type { Affine4, FreeInner } from './snap-lm.js';

export interface Abcd {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

export interface Family {
  readonly name: SymbolicName;
  readonly free: FreeInner;
  /** Grid points [A, B, row]; starts are diversified over rows. */
  readonly grid: readonly (readonly [number, number, number])[];
  readonly normalise: (raw: Abcd) => Abcd;
  /**
   * A family that is an exact affine reparametrisation of another (cos of sin, sigmoid of tanh)
   * takes that one's fit instead of searching again: same R², half the work.
   */
  readonly derive?: { readonly from: SymbolicName; readonly map: (p: Affine4) => Affine4 };
}

function geometric(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}

function linspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** Offsets B for c·g(t + B): the window's neighbourhood densely, farther out sparsely. */
const SHIFTS = [...linspace(-3, 3, 61), -20, -10, -5, 5, 10, 20];
/** Distances beyond a pole or domain edge at t = ±1. */
const MARGINS = geometric(1e-3, 100, 36);
/** Slopes of 2-parameter families (A > 0; the sign lives in c by symmetry). */
const SLOPES = geometric(0.1, 30, 32);
const CENTRES = linspace(-1.5, 1.5, 11);
const PHASES = linspace(-Math.PI, Math.PI, 13).slice(0, 12);

const shiftGrid = (signs: number[], shifts: number[]) =>
  signs.flatMap((s, si) => shifts.map((B, i) => [s, B, si * 1000 + i] as const));
const centreGrid = () => SLOPES.flatMap((A, i) => CENTRES.map((s) => [A, -A * s, i] as const));
const phaseGrid = () => geometric(0.1, 40, 48).flatMap((A, i) => PHASES.map((B) => [A, B, i] as const));

/** Wrap a phase into (−π, π]. */
function wrap(b: number): number {
  const w = b - 2 * Math.PI * Math.round(b / (2 * Math.PI));
  return w <= -Math.PI ? w + 2 * Math.PI : w;
}

const power =
  (k: number) =>
  ({ a, b, c, d }: Abcd): Abcd => ({ a: 1, b: b / a, c: c * a ** k, d });
const oddFlip = (r: Abcd): Abcd => (r.a < 0 ? { a: -r.a, b: -r.b, c: -r.c, d: r.d } : r);
const evenFlip = (r: Abcd): Abcd => (r.a < 0 ? { ...r, a: -r.a, b: -r.b } : r);
const periodic = (r: Abcd): Abcd => {
  const p = r.c < 0 ? { ...r, b: r.b + Math.PI, c: -r.c } : r;
  return { ...p, b: wrap(p.b) };
};

const list: Family[] = [
  {
    name: 'x',
    free: 'none',
    grid: [[1, 0, 0]],
    normalise: ({ a, b, c, d }) => ({ a: 1, b: 0, c: c * a, d: d + c * b }),
  },
  { name: 'x2', free: 'B', grid: shiftGrid([1], SHIFTS), normalise: power(2) },
  { name: 'x3', free: 'B', grid: shiftGrid([1], SHIFTS), normalise: power(3) },
  { name: 'x4', free: 'B', grid: shiftGrid([1], SHIFTS), normalise: power(4) },
  {
    name: 'inv',
    free: 'B',
    grid: shiftGrid([1], [...MARGINS.map((m) => 1 + m), ...MARGINS.map((m) => -1 - m)]),
    normalise: ({ a, b, c, d }) => ({ a: 1, b: b / a, c: c / a, d }),
  },
  {
    name: 'sqrt',
    free: 'B',
    grid: shiftGrid(
      [1, -1],
      MARGINS.map((m) => 1 + m),
    ),
    normalise: ({ a, b, c, d }) => ({
      a: Math.sign(a),
      b: b / Math.abs(a),
      c: c * Math.sqrt(Math.abs(a)),
      d,
    }),
  },
  {
    name: 'exp',
    free: 'A',
    grid: [...geometric(0.05, 20, 30), ...geometric(0.05, 20, 30).map((v) => -v)].map(
      (A, i) => [A, 0, i] as const,
    ),
    normalise: ({ a, b, c, d }) => ({ a, b: 0, c: c * Math.exp(b), d }),
  },
  {
    name: 'log',
    free: 'B',
    grid: shiftGrid(
      [1, -1],
      MARGINS.map((m) => 1 + m),
    ),
    normalise: ({ a, b, c, d }) => ({
      a: Math.sign(a),
      b: b / Math.abs(a),
      c,
      d: d + c * Math.log(Math.abs(a)),
    }),
  },
  { name: 'sin', free: 'AB', grid: phaseGrid(), normalise: (r) => periodic(oddFlip(r)) },
  {
    name: 'cos',
    free: 'AB',
    grid: [],
    normalise: (r) => periodic(evenFlip(r)),
    derive: { from: 'sin', map: (p) => ({ ...p, B: p.B - Math.PI / 2 }) }, // cos(u − π/2) = sin u
  },
  { name: 'tanh', free: 'AB', grid: centreGrid(), normalise: oddFlip },
  {
    name: 'sigmoid',
    free: 'AB',
    grid: [],
    normalise: (r) => (r.a < 0 ? { a: -r.a, b: -r.b, c: -r.c, d: r.d + r.c } : r),
    // tanh u = 2·σ(2u) − 1
    derive: { from: 'tanh', map: (p) => ({ A: 2 * p.A, B: 2 * p.B, c: 2 * p.c, d: p.d - p.c }) },
  },
  { name: 'gauss', free: 'AB', grid: centreGrid(), normalise: evenFlip },
  {
    name: 'abs',
    free: 'B',
    grid: shiftGrid([1], SHIFTS),
    normalise: ({ a, b, c, d }) => ({ a: 1, b: b / a, c: c * Math.abs(a), d }),
  },
  { name: 'arctan', free: 'AB', grid: centreGrid(), normalise: oddFlip },
];

export const FAMILIES: Readonly<Record<SymbolicName, Family>> = Object.freeze(
  Object.fromEntries(list.map((f) => [f.name, f])) as Record<SymbolicName, Family>,
);
