/**
 * Gemm as generated source: Y = α·A'·B' + β·C (A' = A or Aᵀ, B' = B or Bᵀ; C broadcast from a
 * scalar, a row of N or the full [M, N]).
 *
 * The streaming case, one row times Wᵀ (M = 1, transB, as every liquidkan layer is written), is
 * the step's hot loop. For K ≤ UNROLL_K the row is read into K locals once and each output is one
 * expression with the weight offsets written in: four interleaved partial sums, added as a tree.
 * V8 then keeps the row in registers (or spill slots) instead of re-reading and bounds-checking it
 * for every output, which measured 1.8x faster than a k-loop for 32 × 32. Sums run in float64
 * and round once to float32 at the store, as the rest of the engine does.
 */

import type { GraphNode, GraphTensor } from './graph.js';
import { literal } from './literal.js';

/** Widest row unrolled into locals; wider rows take the k-loop (code size grows with K). */
export const UNROLL_K = 64;

/** Source lines computing `n`'s Gemm into its output buffer; `buf` names a tensor's buffer. */
export function emitGemm(n: GraphNode, buf: (t: GraphTensor) => string): string[] {
  const out = buf(n.output);
  const [a, b, c] = n.inputs as [GraphTensor, GraphTensor, GraphTensor | null];
  const alpha = typeof n.attrs['alpha'] === 'number' ? (n.attrs['alpha'] as number) : 1;
  const beta = typeof n.attrs['beta'] === 'number' ? (n.attrs['beta'] as number) : 1;
  const transA = !!n.attrs['transA'];
  const transB = !!n.attrs['transB'];
  const [M, N] = n.output.dims as [number, number];
  const K = transA ? a.dims[0]! : a.dims[1]!;
  const scaled = (s: string) => (alpha === 1 ? s : `${literal(Math.fround(alpha))} * ${s}`);
  const bias = (row: string, col: string) => {
    if (!c) return '0';
    const v =
      c.size === 1
        ? `${buf(c)}[0]`
        : c.size === N
          ? `${buf(c)}[${col}]`
          : `${buf(c)}[${row} * ${N} + ${col}]`;
    return beta === 1 ? v : `${literal(Math.fround(beta))} * ${v}`;
  };
  if (M === 1 && !transA && transB) {
    const A = buf(a);
    const W = buf(b);
    if (K <= UNROLL_K) {
      const row = Array.from({ length: K }, (_, k) => `const x${k} = ${A}[${k}];`);
      const partial = [0, 1, 2, 3]
        .map((p) => {
          const terms: string[] = [];
          for (let k = p; k < K; k += 4) terms.push(`x${k} * ${W}[o + ${k}]`);
          return terms.length ? `(${terms.join(' + ')})` : '';
        })
        .filter((s) => s !== '');
      const sum =
        partial.length === 4
          ? `(${partial[0]} + ${partial[1]}) + (${partial[2]} + ${partial[3]})`
          : partial.join(' + ') || '0';
      return [
        '{',
        ...row,
        `for (let n = 0, o = 0; n < ${N}; n++, o += ${K}) ${out}[n] = Math.fround(${scaled(`(${sum})`)} + ${bias('0', 'n')});`,
        '}',
      ];
    }
    // a wide row: four partial sums over a contiguous weight row
    const K4 = K - (K % 4);
    return [
      `for (let n = 0, o = 0; n < ${N}; n++, o += ${K}) {`,
      'let s0 = 0, s1 = 0, s2 = 0, s3 = 0;',
      `for (let k = 0; k < ${K4}; k += 4) { s0 += ${A}[k] * ${W}[o + k]; s1 += ${A}[k + 1] * ${W}[o + k + 1]; s2 += ${A}[k + 2] * ${W}[o + k + 2]; s3 += ${A}[k + 3] * ${W}[o + k + 3]; }`,
      K4 < K ? `for (let k = ${K4}; k < ${K}; k++) s0 += ${A}[k] * ${W}[o + k];` : '',
      `${out}[n] = Math.fround(${scaled('((s0 + s1) + (s2 + s3))')} + ${bias('0', 'n')});`,
      '}',
    ];
  }
  const aIdx = transA ? `k * ${M} + m` : `m * ${K} + k`;
  const bIdx = transB ? `n * ${K} + k` : `k * ${N} + n`;
  return [
    `for (let m = 0; m < ${M}; m++) for (let n = 0; n < ${N}; n++) {`,
    'let s = 0;',
    `for (let k = 0; k < ${K}; k++) s += ${buf(a)}[${aIdx}] * ${buf(b)}[${bIdx}];`,
    `${out}[m * ${N} + n] = Math.fround(${scaled('s')} + ${bias('m', 'n')});`,
    '}',
  ];
}
