/**
 * Turns a StepGraph into one specialised JavaScript function (new Function) that runs a step.
 *
 * Consecutive elementwise nodes over the same number of elements are fused into one loop whose
 * intermediates are local variables, with every scalar constant written into the source as a
 * literal: an activation form (a Chebyshev recurrence, a rational, a tail's clip and relus)
 * becomes straight-line arithmetic inside that loop. Gemm is a loop over a weight Float32Array;
 * Slice and Concat are copy loops with their offsets written in. Tensors that live across
 * loops get one Float32Array each, made once. Every value is rounded to float32 (Math.fround)
 * where onnxruntime stores one, so results follow its float32 arithmetic to within rounding of
 * the transcendental functions and of the sums' order.
 */

import { erf } from '../../activations/math.js';
import type { GraphNode, GraphTensor, StepGraph } from './graph.js';
import { isElementwise } from './graph.js';

export interface CompiledStep {
  /** Input buffers by graph input name (batch 1); write a step's values here. */
  readonly inputs: Readonly<Record<string, Float32Array>>;
  /** Output buffers by graph output name; step() overwrites them. */
  readonly outputs: Readonly<Record<string, Float32Array>>;
  /** Runs one step from `inputs` into `outputs`; allocates nothing. */
  readonly step: () => void;
  /** The generated source, for inspection and error messages. */
  readonly source: string;
}

export function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '(-Infinity)';
  return v < 0 || Object.is(v, -0) ? `(${v === 0 ? '-0' : String(v)})` : String(v);
}

/** The float32 expression of an elementwise node over operand expressions (names or literals). */
function elementwise(node: GraphNode, a: string[]): string {
  return elementwiseExpression(node.op, node.attrs, a, Math.fround);
}

/**
 * The expression of an elementwise ONNX op over operand expressions (each a name or a literal),
 * in float64 unless the caller rounds (the engine wraps each result in Math.fround),
 * e.g. ('Add', {}, ['v1', '2']) → 'v1 + 2'. Throws for an op that is not elementwise.
 */
export function elementwiseExpression(
  op: string,
  attrs: Readonly<Record<string, number | readonly number[]>>,
  a: readonly (string | undefined)[],
  /** How attribute constants are rounded: Math.fround as onnxruntime reads them, else kept. */
  round: (v: number) => number = (v) => v,
): string {
  const [x, y] = a as [string, string];
  switch (op) {
    case 'Add':
      return `${x} + ${y}`;
    case 'Sub':
      return `${x} - ${y}`;
    case 'Mul':
      return `${x} * ${y}`;
    case 'Div':
      return `${x} / ${y}`;
    case 'Identity':
    case 'Cast':
      return x;
    case 'Neg':
      return `-${x}`;
    case 'Abs':
      return `Math.abs(${x})`;
    case 'Relu':
      return `(${x} > 0 ? ${x} : 0)`;
    case 'LeakyRelu': {
      const alpha = typeof attrs['alpha'] === 'number' ? (attrs['alpha'] as number) : 0.01;
      return `(${x} > 0 ? ${x} : ${literal(round(alpha))} * ${x})`;
    }
    case 'Tanh':
      return `Math.tanh(${x})`;
    case 'Sigmoid':
      return `1 / (1 + Math.exp(-${x}))`;
    case 'Exp':
      return `Math.exp(${x})`;
    case 'Log':
      return `Math.log(${x})`;
    case 'Sqrt':
      return `Math.sqrt(${x})`;
    case 'Sin':
      return `Math.sin(${x})`;
    case 'Cos':
      return `Math.cos(${x})`;
    case 'Atan':
      return `Math.atan(${x})`;
    case 'Softplus':
      return `(${x} > 0 ? ${x} + Math.log1p(Math.exp(-${x})) : Math.log1p(Math.exp(${x})))`;
    case 'Erf':
      return `erf(${x})`;
    case 'Clip': {
      let e = x;
      if (a[1] !== undefined) e = `Math.max(${e}, ${a[1]})`;
      if (a[2] !== undefined) e = `Math.min(${e}, ${a[2]})`;
      return e;
    }
    default:
      throw new Error(`${op} is not an elementwise op`);
  }
}

/** Compiles `graph` into a CompiledStep. */
export function compileStepGraph(graph: StepGraph): CompiledStep {
  const nodes = graph.nodes;
  // Fusion groups: runs of elementwise nodes with the same element count.
  const group = new Map<GraphTensor, number>();
  const groupOf: number[] = [];
  let g = -1;
  let prevSize = -1;
  let prevFused = false;
  nodes.forEach((n, k) => {
    const fused = isElementwise(n.op);
    if (!fused || !prevFused || n.output.size !== prevSize) g++;
    groupOf[k] = g;
    group.set(n.output, g);
    prevFused = fused;
    prevSize = n.output.size;
  });
  // A tensor needs a buffer when it is read outside its group, is an input/output, or is a
  // non-scalar constant.
  const buffered = new Set<GraphTensor>();
  for (const i of graph.inputs) buffered.add(i.tensor);
  for (const o of graph.outputs) buffered.add(o.tensor);
  nodes.forEach((n, k) => {
    const fused = isElementwise(n.op);
    for (const t of n.inputs) {
      if (!t) continue;
      if (t.value) {
        if (t.size !== 1 || !fused) buffered.add(t);
        continue;
      }
      if (!fused || group.get(t) !== groupOf[k]) buffered.add(t);
    }
  });
  const buffers: Float32Array[] = [];
  const slot = new Map<GraphTensor, number>();
  for (const t of graph.tensors) {
    if (!buffered.has(t)) continue;
    slot.set(t, buffers.length);
    buffers.push(t.value ? Float32Array.from(t.value) : new Float32Array(t.size));
  }
  const buf = (t: GraphTensor) => `b${slot.get(t)}`;

  const lines: string[] = [];
  const locals = new Set<GraphTensor>();
  const operand = (t: GraphTensor, index: string): string => {
    if (t.value && t.size === 1) return literal(t.value[0]!);
    if (locals.has(t)) return `v${t.id}`;
    return t.size === 1 ? `${buf(t)}[0]` : `${buf(t)}[${index}]`;
  };

  let k = 0;
  while (k < nodes.length) {
    const n = nodes[k]!;
    if (isElementwise(n.op)) {
      const end = groupOf.lastIndexOf(groupOf[k]!) + 1;
      const size = n.output.size;
      const idx = size === 1 ? '0' : 'i';
      const body: string[] = [];
      locals.clear();
      for (let j = k; j < end; j++) {
        const m = nodes[j]!;
        const args = m.inputs.map((t) => (t ? operand(t, idx) : undefined)) as string[];
        body.push(`const v${m.output.id} = Math.fround(${elementwise(m, args)});`);
        locals.add(m.output);
        if (buffered.has(m.output)) body.push(`${buf(m.output)}[${idx}] = v${m.output.id};`);
      }
      if (size === 1) lines.push('{', ...body, '}');
      else lines.push(`for (let i = 0; i < ${size}; i++) {`, ...body, '}');
      locals.clear();
      k = end;
      continue;
    }
    lines.push(...emitStructural(n, buf));
    k++;
  }

  const names = buffers.map((_, i) => `b${i}`);
  const source = `"use strict";\nconst [${names.join(', ')}] = B;\nreturn function step() {\n${lines.join('\n')}\n};`;
  const factory = new Function('B', 'erf', source) as (b: Float32Array[], e: typeof erf) => () => void;
  const step = factory(buffers, erf);
  const inputs: Record<string, Float32Array> = {};
  for (const i of graph.inputs) inputs[i.tensor.name] = buffers[slot.get(i.tensor)!]!;
  const outputs: Record<string, Float32Array> = {};
  for (const o of graph.outputs) outputs[o.tensor.name] = buffers[slot.get(o.tensor)!]!;
  return { inputs, outputs, step, source };
}

/** Gemm, Slice and Concat as loops over buffers. */
function emitStructural(n: GraphNode, buf: (t: GraphTensor) => string): string[] {
  const out = buf(n.output);
  if (n.op === 'Gemm') {
    const [a, b, c] = n.inputs as [GraphTensor, GraphTensor, GraphTensor | null];
    const alpha = typeof n.attrs['alpha'] === 'number' ? (n.attrs['alpha'] as number) : 1;
    const beta = typeof n.attrs['beta'] === 'number' ? (n.attrs['beta'] as number) : 1;
    const transA = !!n.attrs['transA'];
    const transB = !!n.attrs['transB'];
    const [M, N] = n.output.dims as [number, number];
    const K = transA ? a.dims[0]! : a.dims[1]!;
    const aIdx = transA ? `k * ${M} + m` : `m * ${K} + k`;
    const bIdx = transB ? `n * ${K} + k` : `k * ${N} + n`;
    let bias = '0';
    if (c) bias = c.size === 1 ? `${buf(c)}[0]` : c.size === N ? `${buf(c)}[n]` : `${buf(c)}[m * ${N} + n]`;
    const scaledSum = alpha === 1 ? 's' : `${literal(Math.fround(alpha))} * s`;
    const scaledBias = beta === 1 ? bias : `${literal(Math.fround(beta))} * ${bias}`;
    if (M === 1 && !transA && transB) {
      // the streaming case, a row times Wᵀ: four partial sums over a contiguous weight row
      const A = buf(a);
      const W = buf(b);
      const K4 = K - (K % 4);
      return [
        `for (let n = 0, o = 0; n < ${N}; n++, o += ${K}) {`,
        'let s0 = 0, s1 = 0, s2 = 0, s3 = 0;',
        `for (let k = 0; k < ${K4}; k += 4) { s0 += ${A}[k] * ${W}[o + k]; s1 += ${A}[k + 1] * ${W}[o + k + 1]; s2 += ${A}[k + 2] * ${W}[o + k + 2]; s3 += ${A}[k + 3] * ${W}[o + k + 3]; }`,
        K4 < K ? `for (let k = ${K4}; k < ${K}; k++) s0 += ${A}[k] * ${W}[o + k];` : '',
        'const s = (s0 + s1) + (s2 + s3);',
        `${out}[n] = Math.fround(${scaledSum} + ${scaledBias.replace('[m * ' + N + ' + n]', '[n]')});`,
        '}',
      ];
    }
    return [
      `for (let m = 0; m < ${M}; m++) for (let n = 0; n < ${N}; n++) {`,
      'let s = 0;',
      `for (let k = 0; k < ${K}; k++) s += ${buf(a)}[${aIdx}] * ${buf(b)}[${bIdx}];`,
      `${out}[m * ${N} + n] = Math.fround(${scaledSum} + ${scaledBias});`,
      '}',
    ];
  }
  if (n.op === 'Slice') {
    const src = n.inputs[0]!;
    const ranges = n.attrs['ranges'] as readonly number[];
    const runs = copyRuns(n.output.size, (i) => {
      const idx = unravel(i, n.output.dims).map((v, d) => v + ranges[2 * d]!);
      return [i, ravel(idx, src.dims)];
    });
    return runs.map(
      ([o, s, len]) => `for (let i = 0; i < ${len}; i++) ${out}[${o} + i] = ${buf(src)}[${s} + i];`,
    );
  }
  // Concat: each input's block of the output, as contiguous runs.
  const axis = n.attrs['axis'] as number;
  const lines: string[] = [];
  let offset = 0;
  for (const t of n.inputs) {
    if (!t) continue;
    const shift = offset;
    const runs = copyRuns(t.size, (i) => {
      const idx = unravel(i, t.dims);
      idx[axis]! += shift;
      return [ravel(idx, n.output.dims), i];
    });
    for (const [o, s, len] of runs)
      lines.push(`for (let i = 0; i < ${len}; i++) ${out}[${o} + i] = ${buf(t)}[${s} + i];`);
    offset += t.dims[axis]!;
  }
  return lines;
}

function unravel(i: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 0; d--) {
    idx[d] = i % dims[d]!;
    i = Math.floor(i / dims[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], dims: readonly number[]): number {
  return idx.reduce((acc, v, d) => acc * dims[d]! + v, 0);
}

/** [destination, source, length] runs of a copy of `count` elements; pairOf(i) = [dst, src]. */
function copyRuns(count: number, pairOf: (i: number) => [number, number]): [number, number, number][] {
  const runs: [number, number, number][] = [];
  for (let i = 0; i < count; i++) {
    const [d, s] = pairOf(i);
    const last = runs[runs.length - 1];
    if (last && last[0] + last[2] === d && last[1] + last[2] === s) last[2]++;
    else runs.push([d, s, 1]);
  }
  return runs;
}
