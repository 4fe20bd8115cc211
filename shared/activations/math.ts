/**
 * Scalar special functions and a small dense least-squares solver for the activation forms.
 *
 * erf must be accurate to near machine precision because gelu's f and f′ are checked against
 * each other by finite differences; a 1e-7 approximation (Abramowitz–Stegun) would make the
 * difference quotient disagree with the analytic slope. The solver is kept here, not in
 * shared/numeric, so the forms depend on nothing but themselves.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Below this |x| erf uses its positive-term series, above it erfc's continued fraction. */
const ERF_SWITCH = 3;

/**
 * erf(x) = 2/√π·e^{-x²}·Σ 2^n x^{2n+1} / (1·3·…·(2n+1)). Every term is positive, so there is
 * no cancellation (the alternating Maclaurin series loses digits near |x| = 3).
 */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) for x ≥ 3: e^{-x²}/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), evaluated backwards. */
function erfcFraction(x: number): number {
  let t = x;
  for (let n = 60; n >= 1; n--) t = x + n / 2 / t;
  return (INV_SQRT_PI * Math.exp(-x * x)) / t;
}

/** The error function, relative error ~1e-15. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (Math.abs(x) < ERF_SWITCH) return erfSeries(x);
  return x > 0 ? 1 - erfcFraction(x) : erfcFraction(-x) - 1;
}

/** The complementary error function 1 − erf(x), accurate in the far tail (no cancellation). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x >= ERF_SWITCH) return erfcFraction(x);
  if (x <= -ERF_SWITCH) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

/** Standard normal density φ(x) = e^{-x²/2}/√(2π). */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal CDF Φ(x) = ½·erfc(−x/√2) (accurate for very negative x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** 1/(1+e^{−x}) without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1+e^x) = max(x,0) + log1p(e^{−|x|}), exact in both tails. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** The first-kind Chebyshev nodes cos(π(j+½)/n), j = 0..n−1, in decreasing order. */
export function chebyshevNodes(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = Math.cos((Math.PI * (j + 0.5)) / n);
  return out;
}

/** n equally spaced points covering [lo, hi] inclusive. */
export function linspace(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1);
  return out;
}

/**
 * Least-squares solution of A·x ≈ b by Householder QR, A row-major with shape [rows, cols],
 * rows ≥ cols. Columns are scaled to unit norm first so that badly scaled monomial bases still
 * solve; a column that is (numerically) zero gets coefficient 0 instead of NaN.
 */
export function solveLeastSquares(
  a: Float64Array,
  b: Float64Array,
  rows: number,
  cols: number,
): Float64Array {
  const m = Float64Array.from(a);
  const y = Float64Array.from(b);
  const scale = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += m[i * cols + j] ** 2;
    scale[j] = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < rows; i++) m[i * cols + j] *= scale[j];
  }
  const diag = new Float64Array(cols);
  for (let k = 0; k < cols; k++) {
    let norm = 0;
    for (let i = k; i < rows; i++) norm += m[i * cols + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm < 1e-300) {
      diag[k] = 0;
      continue;
    }
    const alpha = m[k * cols + k] > 0 ? -norm : norm;
    m[k * cols + k] -= alpha;
    let vnorm = 0;
    for (let i = k; i < rows; i++) vnorm += m[i * cols + k] ** 2;
    diag[k] = alpha;
    if (vnorm === 0) continue;
    for (let j = k + 1; j < cols; j++) {
      let dot = 0;
      for (let i = k; i < rows; i++) dot += m[i * cols + k] * m[i * cols + j];
      const f = (2 * dot) / vnorm;
      for (let i = k; i < rows; i++) m[i * cols + j] -= f * m[i * cols + k];
    }
    let dot = 0;
    for (let i = k; i < rows; i++) dot += m[i * cols + k] * y[i];
    const f = (2 * dot) / vnorm;
    for (let i = k; i < rows; i++) y[i] -= f * m[i * cols + k];
  }
  const x = new Float64Array(cols);
  const tiny = 1e-13 * Math.max(...Array.from(diag, Math.abs), 0);
  for (let k = cols - 1; k >= 0; k--) {
    if (Math.abs(diag[k]) <= tiny) {
      x[k] = 0;
      continue;
    }
    let s = y[k];
    for (let j = k + 1; j < cols; j++) s -= m[k * cols + j] * x[j];
    x[k] = s / diag[k];
  }
  for (let j = 0; j < cols; j++) x[j] *= scale[j];
  return x;
}
