/**
 * The fused autodiff op for a KAN layer's spline edges: every edge (i → j) evaluates its own
 * B-spline at x[:, i]. One op instead of a basis matrix and a matmul per input, because only
 * k + 1 of the G + k basis functions are nonzero at any x: the forward stores those few values
 * and their x-derivatives per (sample, input) and the backward reuses them.
 *
 *   x    [batch, nIn]
 *   coef [nIn·nOut, G + k]   (row i·nOut + j is edge i → j, pykan's [nIn, nOut, G + k])
 *   y    [batch, nIn·nOut]   y[b, i·nOut + j] = Σ_c coef[i·nOut + j, c]·B_c(x[b, i]; knots_i)
 *
 * Sum y over i (reshape to [batch, nIn, nOut], then sumAxis 1) to get the layer's output.
 */
import { ShapeError } from '../errors.js';
import { basisWindow, checkSplineShapes, type SplineGrid } from './bspline.js';
import { fmtShape } from './ops-check.js';
import type { Tape, Var } from './tape.js';

/**
 * Spline value of every edge, with gradients to x (through B′) and to coef (through B).
 * The grid is a constant: grid updates happen between training steps via extendGrid.
 */
export function bsplineEdges(tape: Tape, x: Var, coef: Var, grid: SplineGrid): Var {
  const { nIn, G, k } = grid;
  const nb = G + k;
  const M = G + 2 * k + 1;
  if (x.shape.length !== 2 || x.shape[1] !== nIn) {
    throw new ShapeError(`bsplineEdges: x ${fmtShape(x.shape)} must be [batch, ${nIn}]`);
  }
  if (coef.shape.length !== 2 || coef.shape[1] !== nb || coef.shape[0]! % nIn !== 0) {
    throw new ShapeError(`bsplineEdges: coef ${fmtShape(coef.shape)} must be [${nIn}·nOut, ${nb}]`);
  }
  const nOut = coef.shape[0]! / nIn;
  const [batch] = checkSplineShapes('bsplineEdges', x.size, coef.size, grid, nOut);
  const nE = nIn * nOut;
  const w = k + 1;
  const X = x.data;
  const C = coef.data;
  const work = new Float64Array(M);
  const firsts = new Int32Array(batch * nIn);
  const vals = new Float64Array(batch * nIn * w);
  const ders = x.requiresGrad ? new Float64Array(batch * nIn * w) : null;
  const y = new Float64Array(batch * nE);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < nIn; i++) {
      const s = b * nIn + i;
      const first = basisWindow(X[s]!, grid.knots, i * M, M, k, work, vals, ders, s * w);
      firsts[s] = first;
      const rLo = Math.max(0, -first);
      const rHi = Math.min(k, nb - 1 - first);
      for (let j = 0; j < nOut; j++) {
        const e = i * nOut + j;
        const row = e * nb + first;
        let acc = 0;
        for (let r = rLo; r <= rHi; r++) acc += C[row + r]! * vals[s * w + r]!;
        y[b * nE + e] = acc;
      }
    }
  }
  return tape.record(
    y,
    [batch, nE],
    [x, coef],
    (out) => {
      const g = out.grad!;
      const gX = x.grad;
      const gC = coef.grad;
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < nIn; i++) {
          const s = b * nIn + i;
          const first = firsts[s]!;
          const rLo = Math.max(0, -first);
          const rHi = Math.min(k, nb - 1 - first);
          let dx = 0;
          for (let j = 0; j < nOut; j++) {
            const e = i * nOut + j;
            const ge = g[b * nE + e]!;
            if (ge === 0) continue;
            const row = e * nb + first;
            if (gC) for (let r = rLo; r <= rHi; r++) gC[row + r] += ge * vals[s * w + r]!;
            if (ders) {
              let slope = 0;
              for (let r = rLo; r <= rHi; r++) slope += C[row + r]! * ders[s * w + r]!;
              dx += ge * slope;
            }
          }
          if (gX) gX[s] += dx;
        }
      }
    },
    'bsplineEdges',
  );
}
