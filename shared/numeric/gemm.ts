/**
 * Dense matrix products on Float64Array with 4 × 4 register blocking: each step of the inner
 * loop loads 4 + 4 values and does 16 multiply-adds into locals, instead of the 2 loads per
 * multiply-add of a plain triple loop. No SIMD in JavaScript, so this is what keeps a dense
 * layer's forward and backward within a small factor of a BLAS. Row-major throughout; every
 * function adds into C (C += …), so gradients accumulate.
 *
 *   gemmNT  C[m, n] += A[m, k] · B[n, k]ᵀ    (a dense layer's forward, weights stored [out, in])
 *   gemmNN  C[m, n] += A[m, k] · B[k, n]     (its input gradient)
 *   gemmTN  C[m, n] += A[k, m]ᵀ · B[k, n]    (its weight gradient)
 */

/** C[m, n] += A[m, k] · B[n, k]ᵀ */
export function gemmNT(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  n: number,
  k: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!;
        const x1 = A[a1 + p]!;
        const x2 = A[a2 + p]!;
        const x3 = A[a3 + p]!;
        const y0 = B[b0 + p]!;
        const y1 = B[b1 + p]!;
        const y2 = B[b2 + p]!;
        const y3 = B[b3 + p]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = i * n + j;
      C[o] += c00;
      C[o + 1] += c01;
      C[o + 2] += c02;
      C[o + 3] += c03;
      o += n;
      C[o] += c10;
      C[o + 1] += c11;
      C[o + 2] += c12;
      C[o + 3] += c13;
      o += n;
      C[o] += c20;
      C[o + 1] += c21;
      C[o + 2] += c22;
      C[o + 3] += c23;
      o += n;
      C[o] += c30;
      C[o + 1] += c31;
      C[o + 2] += c32;
      C[o + 3] += c33;
    }
  }
  // the ragged edges: rows past m4 (all columns) and columns past n4 (the blocked rows)
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * B[j * k + p]!;
      C[i * n + j] += s;
    }
  }
}

/** C[m, n] += A[m, k] · B[k, n] */
export function gemmNN(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  n: number,
  k: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0, b = j; p < k; p++, b += n) {
        const x0 = A[a0 + p]!;
        const x1 = A[a1 + p]!;
        const x2 = A[a2 + p]!;
        const x3 = A[a3 + p]!;
        const y0 = B[b]!;
        const y1 = B[b + 1]!;
        const y2 = B[b + 2]!;
        const y3 = B[b + 3]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = i * n + j;
      C[o] += c00;
      C[o + 1] += c01;
      C[o + 2] += c02;
      C[o + 3] += c03;
      o += n;
      C[o] += c10;
      C[o + 1] += c11;
      C[o + 2] += c12;
      C[o + 3] += c13;
      o += n;
      C[o] += c20;
      C[o + 1] += c21;
      C[o + 2] += c22;
      C[o + 3] += c23;
      o += n;
      C[o] += c30;
      C[o + 1] += c31;
      C[o + 2] += c32;
      C[o + 3] += c33;
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * B[p * n + j]!;
      C[i * n + j] += s;
    }
  }
}

/** C[m, n] += A[k, m]ᵀ · B[k, n] */
export function gemmTN(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  n: number,
  k: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0, a = i, b = j; p < k; p++, a += m, b += n) {
        const x0 = A[a]!;
        const x1 = A[a + 1]!;
        const x2 = A[a + 2]!;
        const x3 = A[a + 3]!;
        const y0 = B[b]!;
        const y1 = B[b + 1]!;
        const y2 = B[b + 2]!;
        const y3 = B[b + 3]!;
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = i * n + j;
      C[o] += c00;
      C[o + 1] += c01;
      C[o + 2] += c02;
      C[o + 3] += c03;
      o += n;
      C[o] += c10;
      C[o + 1] += c11;
      C[o + 2] += c12;
      C[o + 3] += c13;
      o += n;
      C[o] += c20;
      C[o + 1] += c21;
      C[o + 2] += c22;
      C[o + 3] += c23;
      o += n;
      C[o] += c30;
      C[o + 1] += c31;
      C[o + 2] += c32;
      C[o + 3] += c33;
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[p * m + i]! * B[p * n + j]!;
      C[i * n + j] += s;
    }
  }
}
