/**
 * One library entry compiled like the compiled engine compiles a graph: a generated loop with the
 * entry's constants written in as literals (codegen.ts's literal()), a Chebyshev recurrence
 * unrolled, a rational's Horner forms spelled out, the tail's clip and slopes inline:
 *
 *     out[i] = c·ψ(a·x[i] + b) + d       (ψ with its tail policy)
 *
 * in float64, in exactly the arithmetic order of compileActivation (compile.ts), so selection
 * scores are unchanged to the last bit. activationSource() is the one source of that loop body:
 * the float64 selection path (device/select/forward.ts) runs it through compileActivationFast,
 * the float32 kernels of selection and τ adaptation (sequence.ts) inline it; the slope, which τ
 * adaptation and training need, stays with compileActivation.
 */
import { type CompiledActivation, compileActivation, entryPrimitive } from '../../activations/compile.js';
import type { ActivationEntry } from '../../activations/entry.js';
import type { AffinePrimitiveParams } from '../../activations/forms/affine-primitive.js';
import type { ChebyshevParams } from '../../activations/forms/chebyshev.js';
import type { RationalParams } from '../../activations/forms/rational.js';
import type { Affine } from '../../activations/types.js';
import { literal } from './codegen.js';

/** out[i] = c·ψ(a·x[i] + b) + d for i < x.length. */
export type AffineKernel = (
  x: Float64Array,
  out: Float64Array,
  a: number,
  b: number,
  c: number,
  d: number,
) => void;

/** ψ's core over the variable named `z`, as an expression with the entry's constants written in. */
function coreSource(entry: ActivationEntry, z: string): { lines: string[]; value: string } {
  const prim = entryPrimitive(entry);
  if (prim) {
    const p = entry.params as AffinePrimitiveParams;
    // the same arithmetic as the form module: γ·f(α·z + β) + δ, f the primitive itself
    return {
      lines: [],
      value: `${literal(p.gamma)} * f(${literal(p.alpha)} * ${z} + ${literal(p.beta)}) + ${literal(p.delta)}`,
    };
  }
  if (entry.form === 'chebyshev') {
    // Clenshaw, as chebyshev.ts: b_k = 2z·b_{k+1} + c_k − b_{k+2}; ψ = z·b_1 + c_0 − b_2
    const c = (entry.params as ChebyshevParams).coeffs;
    const lines = [`const _z2 = 2 * ${z};`, 'let _b1 = 0;', 'let _b2 = 0;', 'let _bk = 0;'];
    for (let k = c.length - 1; k >= 1; k--)
      lines.push(`_bk = _z2 * _b1 + ${literal(c[k]!)} - _b2;`, '_b2 = _b1;', '_b1 = _bk;');
    return { lines, value: `${z} * _b1 + ${literal(c[0]!)} - _b2` };
  }
  // rational, as rational.ts: Horner for P in z and for Q in w = z²
  const r = entry.params as RationalParams;
  let num = literal(r.p[r.p.length - 1]!);
  for (let j = r.p.length - 2; j >= 0; j--) num = `(${num} * ${z} + ${literal(r.p[j]!)})`;
  if (r.q.length === 0) return { lines: [], value: num };
  let den = literal(r.q[r.q.length - 1]!);
  for (let k = r.q.length - 2; k >= 0; k--) den = `(${den} * _w + ${literal(r.q[k]!)})`;
  return { lines: [`const _w = ${z} * ${z};`], value: `${num} / (${den} * _w + 1)` };
}

/**
 * Source of c·ψ(a·x + b) + d for one element named `x`, with the layer affine in variables named
 * a, b, c, d: `hoisted` lines (run once, before a loop), `lines` (per element) and the `value`
 * expression; `f` is the primitive the source calls by that name (identity when none). The
 * arithmetic is compileActivation's (compile.ts), in the same order, so results are identical:
 * classic and symbolic entries with tail 'extend' fold the two affines into C·f(A·x + B) + D;
 * other tails clip, then add the linear tail's slopes. Local names start with `_`.
 */
export function activationSource(
  entry: ActivationEntry,
  x: string,
): { hoisted: string[]; lines: string[]; value: string; f: (u: number) => number } {
  const prim = entryPrimitive(entry);
  const f = prim ? prim.f : (u: number) => u;
  if (prim && entry.tail === 'extend') {
    const p = entry.params as AffinePrimitiveParams;
    return {
      hoisted: [
        `const _A = ${literal(p.alpha)} * a;`,
        `const _B = ${literal(p.alpha)} * b + ${literal(p.beta)};`,
        `const _C = c * ${literal(p.gamma)};`,
        `const _D = c * ${literal(p.delta)} + d;`,
      ],
      lines: [],
      value: `_C * f(_A * ${x} + _B) + _D`,
      f,
    };
  }
  const { sLo, sHi } = compileActivation(entry).boundary;
  const clipped = entry.tail === 'extend' ? '_z' : 'Math.min(Math.max(_z, -1), 1)';
  const core = coreSource(entry, '_zc');
  let v = '_v';
  if (entry.tail === 'linear')
    v = `_v + ${literal(sHi)} * Math.max(_z - 1, 0) - ${literal(sLo)} * Math.max(-1 - _z, 0)`;
  return {
    hoisted: [],
    lines: [
      `const _z = a * ${x} + b;`,
      `const _zc = ${clipped};`,
      ...core.lines,
      `const _v = ${core.value};`,
    ],
    value: `c * (${v}) + d`,
    f,
  };
}

/** The generated loop for `entry` (activationSource over every element). */
export function compileAffineKernel(entry: ActivationEntry): AffineKernel {
  const src = activationSource(entry, 'x[i]');
  const lines = [
    'const n = x.length;',
    ...src.hoisted,
    'for (let i = 0; i < n; i++) {',
    ...src.lines,
    `out[i] = ${src.value};`,
    '}',
  ];
  const source = `"use strict";\nreturn function affineKernel(x, out, a, b, c, d) {\n${lines.join('\n')}\n};`;
  const factory = new Function('f', source) as (f: (u: number) => number) => AffineKernel;
  return factory(src.f);
}

/**
 * compileActivation(entry) with its value paths (applyAffineInto and evalInto without slopes)
 * running the generated loop; with a slope asked for, the compiled scalar path as before.
 * An entry whose emitter the recorder cannot follow keeps the compiled scalar path entirely.
 */
export function compileActivationFast(entry: ActivationEntry): CompiledActivation {
  const base = compileActivation(entry);
  let kernel: AffineKernel;
  try {
    kernel = compileAffineKernel(entry);
  } catch {
    return base;
  }
  return {
    ...base,
    evalInto(z, out, dout) {
      if (dout !== undefined) base.evalInto(z, out, dout);
      else kernel(z, out, 1, 0, 1, 0);
    },
    applyAffineInto(x: Float64Array, aff: Affine, out: Float64Array, dout?: Float64Array) {
      if (dout !== undefined) base.applyAffineInto(x, aff, out, dout);
      else kernel(x, out, aff.a, aff.b, aff.c, aff.d);
    },
  };
}
