/**
 * Small models exercising every builder feature, each paired with a float32 reference written
 * in plain TypeScript. Engines and the checker are tested against these.
 */

import {
  dequantize,
  emitFloat16Weight,
  emitInt8Weight,
  OnnxModelBuilder,
  quantizePerChannel,
  roundToFloat16,
} from '../../../shared/onnx/index.js';

export interface Fixture {
  name: string;
  bytes: Uint8Array;
  feeds: Record<string, { data: Float32Array; dims: number[] }>;
  /** Expected outputs for `feeds`, computed in TypeScript. */
  expected: Record<string, Float32Array>;
}

/** Deterministic values in [-1, 1) (a tiny LCG; fixtures must not depend on Math.random). */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** y[n, j] = Σ_k x[n, k] · w[k, j]   (x [N, K], w [K, J]) in float64, rounded to float32 at the end. */
export function matmul(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  N: number,
  K: number,
  J: number,
): Float64Array {
  const y = new Float64Array(N * J);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < J; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += x[n * K + k] * w[k * J + j];
      y[n * J + j] = acc;
    }
  return y;
}

/** [rows, cols] → [cols, rows]. */
export function transpose(w: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/** y = tanh(x W + b), x [N, 3], W [3, 2]. */
export function mlpFixture(): Fixture {
  const [N, K, J] = [4, 3, 2];
  const w = values(K * J, 1);
  const b = values(J, 2);
  const x = values(N * K, 3);
  const m = new OnnxModelBuilder({ graphName: 'mlp', docString: 'MatMul + Add + Tanh' });
  const xin = m.input('x', 'float32', ['N', K]);
  const h = m.node('MatMul', [xin, m.initializerF32(w, [K, J], 'W')]);
  const y = m.node('Tanh', [m.node('Add', [h, m.constant(b, [J])])]);
  m.output('y', 'float32', ['N', J], y);
  const ref = matmul(x, w, N, K, J).map((v, i) => Math.tanh(v + b[i % J]));
  return {
    name: 'mlp',
    bytes: m.toBytes(),
    feeds: { x: { data: x, dims: [N, K] } },
    expected: { y: Float32Array.from(ref) },
  };
}

export const SCAN = { N: 2, T: 5, I: 3, H: 4, tau: [1.5, 2, 0.5, 3] } as const;

/**
 * A recurrent cell unrolled by Scan over time, batch-major (scan axes 1):
 *   h_t = tanh(x_t W + (h_{t-1} U) / τ),  ys[:, t] = h_t
 * The body reads W, U and τ from the outer graph; τ is an input with a default.
 */
export function scanFixture(tau: readonly number[] = SCAN.tau): Fixture {
  const { N, T, I, H } = SCAN;
  const w = values(I * H, 4);
  const u = values(H * H, 5);
  const x = values(N * T * I, 6);
  const h0 = values(N * H, 7);
  const m = new OnnxModelBuilder({ graphName: 'scan_seq' });
  const xin = m.input('x', 'float32', ['N', 'T', I]);
  const hin = m.input('h0', 'float32', ['N', H]);
  const tauIn = m.inputWithDefault('tau', SCAN.tau, [H]);
  const W = m.initializerF32(w, [I, H], 'W');
  const U = m.initializerF32(u, [H, H], 'U');

  const body = m.subgraph('cell');
  const hPrev = body.input('h_prev', 'float32', ['N', H]);
  const xt = body.input('x_t', 'float32', ['N', I]);
  const rec = body.node('Div', [body.node('MatMul', [hPrev, U]), tauIn]);
  const hNext = body.node('Tanh', [body.node('Add', [body.node('MatMul', [xt, W]), rec])], undefined, 'h');
  body.output('h_next', 'float32', ['N', H], hNext);
  body.output('y_t', 'float32', ['N', H], hNext);
  const [hT, ys] = m.nodeMulti('Scan', [hin, xin], 2, {
    body: { graph: body.finish() },
    num_scan_inputs: { i: 1 },
    scan_input_axes: { ints: [1] },
    scan_output_axes: { ints: [1] },
  });
  m.output('h_last', 'float32', ['N', H], hT);
  m.output('ys', 'float32', ['N', 'T', H], ys);

  const ys_ = new Float32Array(N * T * H);
  let h = Float32Array.from(h0);
  for (let t = 0; t < T; t++) {
    const xt_ = new Float32Array(N * I);
    for (let n = 0; n < N; n++) for (let i = 0; i < I; i++) xt_[n * I + i] = x[(n * T + t) * I + i];
    const a = matmul(xt_, w, N, I, H);
    const r = matmul(h, u, N, H, H);
    h = Float32Array.from(a, (v, k) => Math.tanh(v + r[k] / Math.fround(tau[k % H])));
    for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) ys_[(n * T + t) * H + j] = h[n * H + j];
  }
  return {
    name: 'scan',
    bytes: m.toBytes(),
    feeds: { x: { data: x, dims: [N, T, I] }, h0: { data: h0, dims: [N, H] } },
    expected: { h_last: h, ys: ys_ },
  };
}

/** y = x · Cast(W_fp16), x [N, 5], W [5, 3]; the reference uses the half-rounded weights. */
export function fp16Fixture(): Fixture {
  const [N, K, J] = [3, 5, 3];
  const w = values(K * J, 8);
  const x = values(N * K, 9);
  const m = new OnnxModelBuilder({ graphName: 'fp16' });
  const y = m.node('MatMul', [m.input('x', 'float32', ['N', K]), emitFloat16Weight(m, w, [K, J], 'W')]);
  m.output('y', 'float32', ['N', J], y);
  const ref = matmul(x, roundToFloat16(w), N, K, J);
  return {
    name: 'fp16',
    bytes: m.toBytes(),
    feeds: { x: { data: x, dims: [N, K] } },
    expected: { y: Float32Array.from(ref) },
  };
}

/**
 * y = x · Wᵀ with W [out, in] stored as int8 QDQ per output channel, or as float32 for the
 * size comparison. The reference uses the dequantised weights.
 */
export function linearFixture(kind: 'fp32' | 'int8', out = 6, inp = 5): Fixture {
  const N = 3;
  const w = values(out * inp, 10);
  w.fill(0, 0, inp); // an all-zero row exercises the scale guard
  const x = values(N * inp, 11);
  const m = new OnnxModelBuilder({ graphName: `linear_${kind}` });
  const xin = m.input('x', 'float32', ['N', inp]);
  const q = quantizePerChannel(w, out, inp);
  const W = kind === 'int8' ? emitInt8Weight(m, q, 'W') : m.initializerF32(w, [out, inp], 'W');
  const y = m.node('MatMul', [xin, m.node('Transpose', [W], { perm: { ints: [1, 0] } })]);
  m.output('y', 'float32', ['N', out], y);
  const used = kind === 'int8' ? dequantize(q) : w;
  const ref = matmul(x, transpose(used, out, inp), N, inp, out);
  return {
    name: `linear_${kind}`,
    bytes: m.toBytes(),
    feeds: { x: { data: x, dims: [N, inp] } },
    expected: { y: Float32Array.from(ref) },
  };
}

export function allFixtures(): Fixture[] {
  return [mlpFixture(), scanFixture(), fp16Fixture(), linearFixture('fp32'), linearFixture('int8')];
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
