/**
 * One library entry compiled like the compiled engine compiles a graph: a generated loop with the
 * entry's constants written in as literals (codegen.ts's literal()), a Chebyshev recurrence
 * unrolled, a rational's Horner forms spelled out, the tail's clip and slopes inline:
 *
 *     out[i] = c·ψ(a·x[i] + b) + d       (ψ with its tail policy)
 *
 * in float64, in exactly the arithmetic order of compileActivation (compile.ts), so selection
 * scores are unchanged to the last bit. On-device selection scores thousands of rows per
 * candidate through it instead of through the form modules' generic scalar functions
 * (device/select/forward.ts); the slope, which τ adaptation and training need, stays with
 * compileActivation.
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
    const lines = [`const z2 = 2 * ${z};`, 'let b1 = 0;', 'let b2 = 0;', 'let bk = 0;'];
    for (let k = c.length - 1; k >= 1; k--)
      lines.push(`bk = z2 * b1 + ${literal(c[k]!)} - b2;`, 'b2 = b1;', 'b1 = bk;');
    return { lines, value: `${z} * b1 + ${literal(c[0]!)} - b2` };
  }
  // rational, as rational.ts: Horner for P in z and for Q in w = z²
  const r = entry.params as RationalParams;
  let num = literal(r.p[r.p.length - 1]!);
  for (let j = r.p.length - 2; j >= 0; j--) num = `(${num} * ${z} + ${literal(r.p[j]!)})`;
  if (r.q.length === 0) return { lines: [], value: num };
  let den = literal(r.q[r.q.length - 1]!);
  for (let k = r.q.length - 2; k >= 0; k--) den = `(${den} * w + ${literal(r.q[k]!)})`;
  return { lines: [`const w = ${z} * ${z};`], value: `${num} / (${den} * w + 1)` };
}

/**
 * The generated loop for `entry`, doing the arithmetic of compileActivation (compile.ts) in the
 * same order, so results are identical: classic and symbolic entries with tail 'extend' fold the
 * two affines into C·f(A·x + B) + D; other tails clip, then add the linear tail's slopes.
 */
export function compileAffineKernel(entry: ActivationEntry): AffineKernel {
  const prim = entryPrimitive(entry);
  const lines: string[] = ['const n = x.length;'];
  if (prim && entry.tail === 'extend') {
    const p = entry.params as AffinePrimitiveParams;
    lines.push(
      `const A = ${literal(p.alpha)} * a;`,
      `const B = ${literal(p.alpha)} * b + ${literal(p.beta)};`,
      `const C = c * ${literal(p.gamma)};`,
      `const D = c * ${literal(p.delta)} + d;`,
      'for (let i = 0; i < n; i++) out[i] = C * f(A * x[i] + B) + D;',
    );
  } else {
    const { sLo, sHi, vLo, vHi } = compileActivation(entry).boundary;
    void vLo;
    void vHi;
    const clipped = entry.tail === 'extend' ? 'z' : 'Math.min(Math.max(z, -1), 1)';
    const core = coreSource(entry, 'zc');
    let v = 'v';
    if (entry.tail === 'linear')
      v = `v + ${literal(sHi)} * Math.max(z - 1, 0) - ${literal(sLo)} * Math.max(-1 - z, 0)`;
    lines.push(
      'for (let i = 0; i < n; i++) {',
      'const z = a * x[i] + b;',
      `const zc = ${clipped};`,
      ...core.lines,
      `const v = ${core.value};`,
      `out[i] = c * (${v}) + d;`,
      '}',
    );
  }
  const source = `"use strict";\nreturn function affineKernel(x, out, a, b, c, d) {\n${lines.join('\n')}\n};`;
  const factory = new Function('f', source) as (f: (u: number) => number) => AffineKernel;
  return factory(prim ? prim.f : (u: number) => u);
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
