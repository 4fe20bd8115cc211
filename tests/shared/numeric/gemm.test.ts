/** The blocked products against plain triple loops, on shapes with ragged edges (not multiples of 4). */
import { describe, expect, it } from 'vitest';
import { gemmNN, gemmNT, gemmTN } from '../../../shared/numeric/gemm.js';
import { Rng } from '../../../shared/numeric/rng.js';

const at = (M: Float64Array, cols: number) => (r: number, c: number) => M[r * cols + c]!;

describe('gemm', () => {
  for (const [m, n, k] of [
    [8, 8, 8],
    [7, 9, 5],
    [1, 3, 2],
    [13, 6, 11],
  ] as const) {
    it(`adds the products into C for [${m}, ${n}, ${k}]`, () => {
      const rng = new Rng(m * 100 + n * 10 + k);
      const A = rng.fillUniform(new Float64Array(m * k), -1, 1); // [m, k]
      const Bt = rng.fillUniform(new Float64Array(n * k), -1, 1); // [n, k]
      const Bn = rng.fillUniform(new Float64Array(k * n), -1, 1); // [k, n]
      const At = rng.fillUniform(new Float64Array(k * m), -1, 1); // [k, m]
      const start = rng.fillUniform(new Float64Array(m * n), -1, 1);
      const nt = Float64Array.from(start);
      const nn = Float64Array.from(start);
      const tn = Float64Array.from(start);
      gemmNT(A, Bt, nt, m, n, k);
      gemmNN(A, Bn, nn, m, n, k);
      gemmTN(At, Bn, tn, m, n, k);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let snt = start[i * n + j]!;
          let snn = snt;
          let stn = snt;
          for (let p = 0; p < k; p++) {
            snt += at(A, k)(i, p) * at(Bt, k)(j, p);
            snn += at(A, k)(i, p) * at(Bn, n)(p, j);
            stn += at(At, m)(p, i) * at(Bn, n)(p, j);
          }
          expect(nt[i * n + j]).toBeCloseTo(snt, 12);
          expect(nn[i * n + j]).toBeCloseTo(snn, 12);
          expect(tn[i * n + j]).toBeCloseTo(stn, 12);
        }
      }
    });
  }
});
