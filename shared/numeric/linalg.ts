/**
 * Small dense linear algebra for fitting: Cholesky, LU solve and ridge least squares.
 * Matrices are row-major Float64Arrays with their sizes passed alongside; nothing here keeps
 * state. The systems are small (spline coefficients per edge: tens of unknowns), so plain
 * O(n³) loops are the right tool.
 */
import { NumericError, ShapeError } from '../errors.js';

/**
 * Cholesky factor of a symmetric positive definite matrix: A = L·Lᵀ.
 *
 * @param A [n, n] row-major; only the lower triangle is read.
 * @returns L [n, n] row-major, lower triangular (zeros above the diagonal).
 * @throws NumericError when A is not (numerically) positive definite.
 */
export function cholesky(A: Float64Array, n: number): Float64Array {
  if (A.length !== n * n) throw new ShapeError(`cholesky: ${A.length} values do not make a ${n}×${n} matrix`);
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]!;
    for (let p = 0; p < j; p++) d -= L[j * n + p]! * L[j * n + p]!;
    if (!(d > 0)) {
      throw new NumericError(`cholesky: matrix is not positive definite (pivot ${j} is ${d}); add a ridge`);
    }
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let p = 0; p < j; p++) s -= L[i * n + p]! * L[j * n + p]!;
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/**
 * Solve L·Lᵀ·x = b in place, given the Cholesky factor L [n, n].
 * @param b [n, r] row-major (r right-hand sides side by side); overwritten with x [n, r].
 */
export function choleskySolveInPlace(L: Float64Array, n: number, b: Float64Array): Float64Array {
  const r = b.length / n;
  if (!Number.isInteger(r)) throw new ShapeError(`choleskySolve: ${b.length} values are not [${n}, r]`);
  for (let c = 0; c < r; c++) {
    for (let i = 0; i < n; i++) {
      let s = b[i * r + c]!;
      for (let p = 0; p < i; p++) s -= L[i * n + p]! * b[p * r + c]!;
      b[i * r + c] = s / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = b[i * r + c]!;
      for (let p = i + 1; p < n; p++) s -= L[p * n + i]! * b[p * r + c]!;
      b[i * r + c] = s / L[i * n + i]!;
    }
  }
  return b;
}

/**
 * Solve A·x = b for a general square A by LU with partial pivoting.
 *
 * @param A [n, n] row-major (not modified).
 * @param b [n] or [n, r] row-major (not modified).
 * @returns x with the shape of b.
 * @throws NumericError when A is singular to working precision.
 */
export function solve(A: Float64Array, n: number, b: Float64Array): Float64Array {
  if (A.length !== n * n) throw new ShapeError(`solve: ${A.length} values do not make a ${n}×${n} matrix`);
  const r = b.length / n;
  if (!Number.isInteger(r) || r < 1)
    throw new ShapeError(`solve: right-hand side of ${b.length} values is not [${n}, r]`);
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  let scaleA = 0;
  for (let i = 0; i < M.length; i++) scaleA = Math.max(scaleA, Math.abs(M[i]!));
  const tiny = scaleA * n * Number.EPSILON;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(M[i * n + col]!) > Math.abs(M[piv * n + col]!)) piv = i;
    const p = M[piv * n + col]!;
    if (!(Math.abs(p) > tiny))
      throw new NumericError(`solve: matrix is singular (column ${col} has no pivot)`);
    if (piv !== col) {
      for (let j = 0; j < n; j++) {
        const t = M[col * n + j]!;
        M[col * n + j] = M[piv * n + j]!;
        M[piv * n + j] = t;
      }
      for (let c = 0; c < r; c++) {
        const t = x[col * r + c]!;
        x[col * r + c] = x[piv * r + c]!;
        x[piv * r + c] = t;
      }
    }
    for (let i = col + 1; i < n; i++) {
      const f = M[i * n + col]! / p;
      if (f === 0) continue;
      for (let j = col; j < n; j++) M[i * n + j] -= f * M[col * n + j]!;
      for (let c = 0; c < r; c++) x[i * r + c] -= f * x[col * r + c]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let c = 0; c < r; c++) {
      let s = x[i * r + c]!;
      for (let j = i + 1; j < n; j++) s -= M[i * n + j]! * x[j * r + c]!;
      x[i * r + c] = s / M[i * n + i]!;
    }
  }
  return x;
}

/**
 * Gram matrix with ridge: AᵀA + ridge·I.
 * @param A [m, n] row-major. @returns [n, n].
 */
export function gram(A: Float64Array, m: number, n: number, ridge = 0): Float64Array {
  const G = new Float64Array(n * n);
  for (let row = 0; row < m; row++) {
    const o = row * n;
    for (let i = 0; i < n; i++) {
      const ai = A[o + i]!;
      if (ai === 0) continue;
      for (let j = 0; j <= i; j++) G[i * n + j] += ai * A[o + j]!;
    }
  }
  for (let i = 0; i < n; i++) {
    G[i * n + i] += ridge;
    for (let j = 0; j < i; j++) G[j * n + i] = G[i * n + j]!;
  }
  return G;
}

/**
 * Ridge least squares: x = argmin ‖A·x − y‖² + ridge·‖x‖², solved through the normal
 * equations (AᵀA + ridge·I)·x = Aᵀy with a Cholesky factor. Squaring the condition number is
 * acceptable for the well-conditioned, small systems we fit (spline coefficients, symbolic
 * affine fits); a small ridge (1e-8 relative to the data scale) keeps rank-deficient fits solvable.
 *
 * @param A [m, n] row-major design matrix.
 * @param y [m] or [m, r] row-major targets (r independent fits sharing A, factored once).
 * @param ridge ≥ 0. @defaultValue 0
 * @returns x [n] or [n, r].
 * @throws NumericError when AᵀA + ridge·I is not positive definite (rank-deficient A, ridge 0).
 */
export function leastSquares(
  A: Float64Array,
  m: number,
  n: number,
  y: Float64Array,
  ridge = 0,
): Float64Array {
  if (A.length !== m * n)
    throw new ShapeError(`leastSquares: design matrix has ${A.length} values, not [${m}, ${n}]`);
  const r = y.length / m;
  if (!Number.isInteger(r) || r < 1)
    throw new ShapeError(`leastSquares: targets of ${y.length} values are not [${m}, r]`);
  if (!(ridge >= 0)) throw new NumericError(`leastSquares: ridge must be ≥ 0, got ${ridge}`);
  const L = cholesky(gram(A, m, n, ridge), n);
  const x = new Float64Array(n * r);
  for (let row = 0; row < m; row++) {
    for (let i = 0; i < n; i++) {
      const a = A[row * n + i]!;
      if (a === 0) continue;
      for (let c = 0; c < r; c++) x[i * r + c] += a * y[row * r + c]!;
    }
  }
  return choleskySolveInPlace(L, n, x);
}
