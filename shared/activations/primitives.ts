/**
 * The registry of named scalar primitives f that the classic and symbolic forms wrap as
 * ψ(z) = γ·f(α·z + β) + δ. One record per primitive keeps its value, its derivative and its
 * ONNX emitter side by side (micrograd style), so a wrong slope sits next to its forward rule.
 *
 * `domain` lists the intervals where f is safe to evaluate: a form's input range
 * [β − |α|, β + |α|] must fit inside one of them. Open poles (inv at 0, log and sqrt at 0) get a
 * small margin so that a library entry never produces ±∞ or a slope of ∞ on [-1, 1].
 * `safeOnReals` means f is finite with no pole or domain edge and grows at most polynomially,
 * which is what tail 'extend' requires (exp is excluded: it overflows). Complexity scores
 * follow pykan's symbolic library (lower is simpler).
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { erfc, normalPdf, sigmoid, softplus } from './math.js';

export type PrimitiveName =
  | 'identity'
  | 'relu'
  | 'leaky_relu'
  | 'tanh'
  | 'sigmoid'
  | 'silu'
  | 'gelu'
  | 'sin'
  | 'cos'
  | 'softplus'
  | 'gaussian'
  | 'x2'
  | 'x3'
  | 'x4'
  | 'inv'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'abs'
  | 'arctan';

export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

export interface Primitive {
  readonly name: PrimitiveName;
  readonly f: (x: number) => number;
  readonly df: (x: number) => number;
  /** Emit f(x) for the tensor named x; returns the output name (identity returns x itself). */
  readonly emit: (g: GraphBuilder, x: string) => string;
  readonly domain: readonly Interval[];
  readonly safeOnReals: boolean;
  /** Elementwise ONNX ops the emitter uses. */
  readonly ops: number;
  readonly complexity: number;
  /** 'C0' when f has a kink (relu, leaky_relu, abs), else 'Cinf'. */
  readonly smoothness: 'C0' | 'Cinf';
}

export const LEAKY_RELU_SLOPE = 0.01;
/** Distance kept from a pole or domain edge (inv, sqrt, log). */
export const POLE_MARGIN = 1e-6;

const REALS: readonly Interval[] = [{ lo: -Infinity, hi: Infinity }];
const POSITIVE: readonly Interval[] = [{ lo: POLE_MARGIN, hi: Infinity }];

type Spec = Omit<Primitive, 'name' | 'domain' | 'safeOnReals' | 'smoothness'> &
  Partial<Pick<Primitive, 'domain' | 'safeOnReals' | 'smoothness'>>;

function square(g: GraphBuilder, x: string): string {
  return g.node('Mul', [x, x]);
}

const SPECS: Record<PrimitiveName, Spec> = {
  identity: { f: (x) => x, df: () => 1, emit: (_g, x) => x, ops: 0, complexity: 1 },
  relu: {
    f: (x) => Math.max(x, 0),
    df: (x) => (x > 0 ? 1 : 0),
    emit: (g, x) => g.node('Relu', [x]),
    ops: 1,
    complexity: 1,
    smoothness: 'C0',
  },
  leaky_relu: {
    f: (x) => (x > 0 ? x : LEAKY_RELU_SLOPE * x),
    df: (x) => (x > 0 ? 1 : LEAKY_RELU_SLOPE),
    emit: (g, x) => g.node('LeakyRelu', [x], { alpha: { f: LEAKY_RELU_SLOPE } }),
    ops: 1,
    complexity: 1,
    smoothness: 'C0',
  },
  tanh: {
    f: Math.tanh,
    df: (x) => 1 - Math.tanh(x) ** 2,
    emit: (g, x) => g.node('Tanh', [x]),
    ops: 1,
    complexity: 3,
  },
  sigmoid: {
    f: sigmoid,
    df: (x) => sigmoid(x) * sigmoid(-x),
    emit: (g, x) => g.node('Sigmoid', [x]),
    ops: 1,
    complexity: 3,
  },
  silu: {
    f: (x) => x * sigmoid(x),
    df: (x) => sigmoid(x) * (1 + x * sigmoid(-x)),
    emit: (g, x) => g.node('Mul', [x, g.node('Sigmoid', [x])]),
    ops: 2,
    complexity: 3,
  },
  gelu: {
    // x·Φ(x) written with erfc so that the far negative tail keeps its relative precision.
    f: (x) => 0.5 * x * erfc(-x * Math.SQRT1_2),
    df: (x) => 0.5 * erfc(-x * Math.SQRT1_2) + x * normalPdf(x),
    emit: (g, x) => {
      const e = g.node('Erf', [g.node('Mul', [x, g.scalar(Math.SQRT1_2)])]);
      const half = g.node('Mul', [x, g.scalar(0.5)]);
      return g.node('Mul', [half, g.node('Add', [e, g.scalar(1)])]);
    },
    ops: 5,
    complexity: 4,
  },
  sin: { f: Math.sin, df: Math.cos, emit: (g, x) => g.node('Sin', [x]), ops: 1, complexity: 2 },
  cos: { f: Math.cos, df: (x) => -Math.sin(x), emit: (g, x) => g.node('Cos', [x]), ops: 1, complexity: 2 },
  softplus: { f: softplus, df: sigmoid, emit: (g, x) => g.node('Softplus', [x]), ops: 1, complexity: 3 },
  gaussian: {
    f: (x) => Math.exp(-x * x),
    df: (x) => -2 * x * Math.exp(-x * x),
    emit: (g, x) => g.node('Exp', [g.node('Neg', [square(g, x)])]),
    ops: 3,
    complexity: 3,
  },
  x2: { f: (x) => x * x, df: (x) => 2 * x, emit: square, ops: 1, complexity: 2 },
  x3: {
    f: (x) => x * x * x,
    df: (x) => 3 * x * x,
    emit: (g, x) => g.node('Mul', [square(g, x), x]),
    ops: 2,
    complexity: 3,
  },
  x4: {
    f: (x) => x * x * (x * x),
    df: (x) => 4 * x * x * x,
    emit: (g, x) => {
      const s = square(g, x);
      return g.node('Mul', [s, s]);
    },
    ops: 2,
    complexity: 3,
  },
  inv: {
    f: (x) => 1 / x,
    df: (x) => -1 / (x * x),
    emit: (g, x) => g.node('Div', [g.scalar(1), x]),
    ops: 1,
    complexity: 2,
    domain: [
      { lo: -Infinity, hi: -POLE_MARGIN },
      { lo: POLE_MARGIN, hi: Infinity },
    ],
    safeOnReals: false,
  },
  sqrt: {
    f: Math.sqrt,
    df: (x) => 0.5 / Math.sqrt(x),
    emit: (g, x) => g.node('Sqrt', [x]),
    ops: 1,
    complexity: 2,
    domain: POSITIVE,
    safeOnReals: false,
  },
  exp: {
    f: Math.exp,
    df: Math.exp,
    emit: (g, x) => g.node('Exp', [x]),
    ops: 1,
    complexity: 2,
    safeOnReals: false,
  },
  log: {
    f: Math.log,
    df: (x) => 1 / x,
    emit: (g, x) => g.node('Log', [x]),
    ops: 1,
    complexity: 2,
    domain: POSITIVE,
    safeOnReals: false,
  },
  abs: {
    f: Math.abs,
    df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
    emit: (g, x) => g.node('Abs', [x]),
    ops: 1,
    complexity: 3,
    smoothness: 'C0',
  },
  arctan: {
    f: Math.atan,
    df: (x) => 1 / (1 + x * x),
    emit: (g, x) => g.node('Atan', [x]),
    ops: 1,
    complexity: 4,
  },
};

/** Every primitive by name, frozen. */
export const PRIMITIVES: Readonly<Record<PrimitiveName, Primitive>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(SPECS) as PrimitiveName[]).map((name) => {
      const s = SPECS[name];
      const p: Primitive = {
        ...s,
        name,
        domain: s.domain ?? REALS,
        safeOnReals: s.safeOnReals ?? true,
        smoothness: s.smoothness ?? 'Cinf',
      };
      return [name, Object.freeze(p)];
    }),
  ) as Record<PrimitiveName, Primitive>,
);

export const PRIMITIVE_NAMES = Object.keys(PRIMITIVES) as readonly PrimitiveName[];

/** True when [lo, hi] lies inside one of the primitive's safe intervals. */
export function rangeIsSafe(p: Primitive, lo: number, hi: number): boolean {
  return p.domain.some((d) => lo >= d.lo && hi <= d.hi);
}
