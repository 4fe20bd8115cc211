/**
 * Elementwise ops on the tape. Every op takes Vars of the same shape (no implicit broadcasting;
 * addBias and mulRow in ops-linear.ts broadcast explicitly), computes its forward result
 * eagerly and writes its backward rule right beside it. Backward rules add into p.grad and only
 * when p.requiresGrad, so a Var used twice receives both shares of its gradient.
 *
 * Primitives: add, sub, mul, div, addScalar, scale, neg, exp, log, tanh, sin, cos, relu,
 * square, abs, and mapElementwise for any fused f/f′ kernel. The smooth activations built on
 * them (sigmoid, silu, softplus) are in ops-activations.ts.
 */
import { assertSameShape } from './ops-check.js';
import type { Tape, Var } from './tape.js';

/**
 * A fused elementwise kernel: for every i, write y[i] = f(x[i]) and dydx[i] = f′(x[i]).
 * All three arrays have the same length; the kernel loops over them itself, so an activation
 * form becomes one op without a callback per element.
 */
export type ElementwiseKernel = (x: Float64Array, y: Float64Array, dydx: Float64Array) => void;

/** a + b, same shape. */
export function add(tape: Tape, a: Var, b: Var): Var {
  assertSameShape('add', a, b);
  const y = new Float64Array(a.size);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i]! + b.data[i]!;
  return tape.record(
    y,
    a.shape,
    [a, b],
    (out) => {
      const g = out.grad!;
      if (a.requiresGrad) for (let i = 0; i < g.length; i++) a.grad![i] += g[i]!;
      if (b.requiresGrad) for (let i = 0; i < g.length; i++) b.grad![i] += g[i]!;
    },
    'add',
  );
}

/** a − b, same shape. */
export function sub(tape: Tape, a: Var, b: Var): Var {
  assertSameShape('sub', a, b);
  const y = new Float64Array(a.size);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i]! - b.data[i]!;
  return tape.record(
    y,
    a.shape,
    [a, b],
    (out) => {
      const g = out.grad!;
      if (a.requiresGrad) for (let i = 0; i < g.length; i++) a.grad![i] += g[i]!;
      if (b.requiresGrad) for (let i = 0; i < g.length; i++) b.grad![i] -= g[i]!;
    },
    'sub',
  );
}

/** a ⊙ b (elementwise product), same shape. */
export function mul(tape: Tape, a: Var, b: Var): Var {
  assertSameShape('mul', a, b);
  const y = new Float64Array(a.size);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i]! * b.data[i]!;
  return tape.record(
    y,
    a.shape,
    [a, b],
    (out) => {
      const g = out.grad!;
      if (a.requiresGrad) for (let i = 0; i < g.length; i++) a.grad![i] += g[i]! * b.data[i]!;
      if (b.requiresGrad) for (let i = 0; i < g.length; i++) b.grad![i] += g[i]! * a.data[i]!;
    },
    'mul',
  );
}

/** a / b elementwise, same shape. The caller keeps b away from 0 (e.g. softplus + ε). */
export function div(tape: Tape, a: Var, b: Var): Var {
  assertSameShape('div', a, b);
  const y = new Float64Array(a.size);
  for (let i = 0; i < y.length; i++) y[i] = a.data[i]! / b.data[i]!;
  return tape.record(
    y,
    a.shape,
    [a, b],
    (out) => {
      const g = out.grad!;
      // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −y/b
      if (a.requiresGrad) for (let i = 0; i < g.length; i++) a.grad![i] += g[i]! / b.data[i]!;
      if (b.requiresGrad) for (let i = 0; i < g.length; i++) b.grad![i] -= (g[i]! * y[i]!) / b.data[i]!;
    },
    'div',
  );
}

/** x + c for a constant number c. */
export function addScalar(tape: Tape, x: Var, c: number): Var {
  const y = new Float64Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = x.data[i]! + c;
  return tape.record(
    y,
    x.shape,
    [x],
    (out) => {
      const g = out.grad!;
      for (let i = 0; i < g.length; i++) x.grad![i] += g[i]!;
    },
    'addScalar',
  );
}

/** c · x for a constant number c. */
export function scale(tape: Tape, x: Var, c: number): Var {
  const y = new Float64Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = c * x.data[i]!;
  return tape.record(
    y,
    x.shape,
    [x],
    (out) => {
      const g = out.grad!;
      for (let i = 0; i < g.length; i++) x.grad![i] += c * g[i]!;
    },
    'scale',
  );
}

/** −x. */
export function neg(tape: Tape, x: Var): Var {
  return scale(tape, x, -1);
}

/**
 * Fused elementwise op y = f(x): `kernel` fills y and f′(x) in one pass; backward multiplies
 * the incoming gradient by the stored f′. The dydx buffer lives as long as the tape entry.
 *
 * @example
 *   const tanhKernel: ElementwiseKernel = (x, y, d) => {
 *     for (let i = 0; i < x.length; i++) { const t = Math.tanh(x[i]); y[i] = t; d[i] = 1 - t * t; }
 *   };
 *   const h = mapElementwise(tape, x, tanhKernel, 'tanh');
 */
export function mapElementwise(tape: Tape, x: Var, kernel: ElementwiseKernel, label: string): Var {
  const y = new Float64Array(x.size);
  const dydx = new Float64Array(x.size);
  kernel(x.data, y, dydx);
  return tape.record(
    y,
    x.shape,
    [x],
    (out) => {
      const g = out.grad!;
      for (let i = 0; i < g.length; i++) x.grad![i] += g[i]! * dydx[i]!;
    },
    label,
  );
}

/** eˣ; f′ = eˣ = y. */
export function exp(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) d[i] = y[i] = Math.exp(xs[i]!);
    },
    'exp',
  );
}

/** ln x (x > 0); f′ = 1/x. */
export function log(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        y[i] = Math.log(xs[i]!);
        d[i] = 1 / xs[i]!;
      }
    },
    'log',
  );
}

/** tanh x; f′ = 1 − y². */
export function tanh(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        const t = Math.tanh(xs[i]!);
        y[i] = t;
        d[i] = 1 - t * t;
      }
    },
    'tanh',
  );
}

/** sin x; f′ = cos x. */
export function sin(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        y[i] = Math.sin(xs[i]!);
        d[i] = Math.cos(xs[i]!);
      }
    },
    'sin',
  );
}

/** cos x; f′ = −sin x. */
export function cos(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        y[i] = Math.cos(xs[i]!);
        d[i] = -Math.sin(xs[i]!);
      }
    },
    'cos',
  );
}

/** max(x, 0); f′ = 1 for x > 0, else 0 (the subgradient 0 at the kink). */
export function relu(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i]!;
        y[i] = Math.max(v, 0);
        d[i] = v > 0 ? 1 : 0;
      }
    },
    'relu',
  );
}

/** x²; f′ = 2x. */
export function square(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        y[i] = xs[i]! * xs[i]!;
        d[i] = 2 * xs[i]!;
      }
    },
    'square',
  );
}

/** |x|; f′ = sign x (0 at the kink). */
export function abs(tape: Tape, x: Var): Var {
  return mapElementwise(
    tape,
    x,
    (xs, y, d) => {
      for (let i = 0; i < xs.length; i++) {
        const v = xs[i]!;
        y[i] = Math.abs(v);
        d[i] = v > 0 ? 1 : v < 0 ? -1 : 0;
      }
    },
    'abs',
  );
}
