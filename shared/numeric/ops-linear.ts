/**
 * Linear-algebra ops on the tape: matrix products and explicit row broadcasts.
 *
 * Weights are stored [out, in] (the PyTorch nn.Linear and ONNX Gemm transB=1 layout), so a
 * dense layer is matmulTransposedB(x, W) followed by addBias(·, b). Loops run over contiguous
 * rows (i, then p, then j) so the innermost index walks memory in order.
 */
import { ShapeError } from '../errors.js';
import { assertMatrix, fmtShape } from './ops-check.js';
import type { Tape, Var } from './tape.js';

/** x [m, n] + b [n], b added to every row. */
export function addBias(tape: Tape, x: Var, b: Var): Var {
  const [m, n] = assertMatrix('addBias', x);
  if (b.shape.length !== 1 || b.shape[0] !== n) {
    throw new ShapeError(`addBias: bias ${fmtShape(b.shape)} does not match input ${fmtShape(x.shape)}`);
  }
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) y[r * n + j] = x.data[r * n + j]! + b.data[j]!;
  return tape.record(
    y,
    x.shape,
    [x, b],
    (out) => {
      const g = out.grad!;
      if (x.requiresGrad) for (let i = 0; i < g.length; i++) x.grad![i] += g[i]!;
      if (b.requiresGrad) {
        const gb = b.grad!;
        for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) gb[j] += g[r * n + j]!;
      }
    },
    'addBias',
  );
}

/** x [m, n] ⊙ v [n], every row scaled elementwise by v (e.g. dividing by per-neuron τ). */
export function mulRow(tape: Tape, x: Var, v: Var): Var {
  const [m, n] = assertMatrix('mulRow', x);
  if (v.shape.length !== 1 || v.shape[0] !== n) {
    throw new ShapeError(`mulRow: vector ${fmtShape(v.shape)} does not match input ${fmtShape(x.shape)}`);
  }
  const y = new Float64Array(m * n);
  for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) y[r * n + j] = x.data[r * n + j]! * v.data[j]!;
  return tape.record(
    y,
    x.shape,
    [x, v],
    (out) => {
      const g = out.grad!;
      if (x.requiresGrad) {
        for (let r = 0; r < m; r++)
          for (let j = 0; j < n; j++) x.grad![r * n + j] += g[r * n + j]! * v.data[j]!;
      }
      if (v.requiresGrad) {
        const gv = v.grad!;
        for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) gv[j] += g[r * n + j]! * x.data[r * n + j]!;
      }
    },
    'mulRow',
  );
}

/**
 * a [m, k] · b [k, n] → [m, n].
 * Backward: da += dy · bᵀ, db += aᵀ · dy.
 */
export function matmul(tape: Tape, a: Var, b: Var): Var {
  const [m, k] = assertMatrix('matmul', a, 'left');
  const [k2, n] = assertMatrix('matmul', b, 'right');
  if (k !== k2)
    throw new ShapeError(`matmul: inner sizes differ in ${fmtShape(a.shape)} × ${fmtShape(b.shape)}`);
  const A = a.data;
  const B = b.data;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = A[i * k + p]!;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) y[i * n + j] += aip * B[p * n + j]!;
    }
  }
  return tape.record(
    y,
    [m, n],
    [a, b],
    (out) => {
      const G = out.grad!;
      if (a.requiresGrad) {
        const gA = a.grad!;
        for (let i = 0; i < m; i++) {
          for (let p = 0; p < k; p++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += G[i * n + j]! * B[p * n + j]!;
            gA[i * k + p] += s;
          }
        }
      }
      if (b.requiresGrad) {
        const gB = b.grad!;
        for (let i = 0; i < m; i++) {
          for (let p = 0; p < k; p++) {
            const aip = A[i * k + p]!;
            for (let j = 0; j < n; j++) gB[p * n + j] += aip * G[i * n + j]!;
          }
        }
      }
    },
    'matmul',
  );
}

/**
 * x [m, k] · Wᵀ with W stored [n, k] → [m, n]: y[i, o] = Σ_p x[i, p] W[o, p].
 * Backward: dx += dy · W, dW += dyᵀ · x.
 */
export function matmulTransposedB(tape: Tape, x: Var, w: Var): Var {
  const [m, k] = assertMatrix('matmulTransposedB', x, 'input');
  const [n, k2] = assertMatrix('matmulTransposedB', w, 'weight');
  if (k !== k2) {
    throw new ShapeError(
      `matmulTransposedB: input ${fmtShape(x.shape)} has ${k} columns but weight ${fmtShape(w.shape)} (stored [out, in]) expects ${k2}`,
    );
  }
  const X = x.data;
  const W = w.data;
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let o = 0; o < n; o++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += X[i * k + p]! * W[o * k + p]!;
      y[i * n + o] = s;
    }
  }
  return tape.record(
    y,
    [m, n],
    [x, w],
    (out) => {
      const G = out.grad!;
      if (x.requiresGrad) {
        const gX = x.grad!;
        for (let i = 0; i < m; i++) {
          for (let o = 0; o < n; o++) {
            const g = G[i * n + o]!;
            if (g === 0) continue;
            for (let p = 0; p < k; p++) gX[i * k + p] += g * W[o * k + p]!;
          }
        }
      }
      if (w.requiresGrad) {
        const gW = w.grad!;
        for (let i = 0; i < m; i++) {
          for (let o = 0; o < n; o++) {
            const g = G[i * n + o]!;
            if (g === 0) continue;
            for (let p = 0; p < k; p++) gW[o * k + p] += g * X[i * k + p]!;
          }
        }
      }
    },
    'matmulTransposedB',
  );
}
