/** Special functions the task families need. */

/**
 * Bessel function of the first kind, order 0: its power series for |x| < 8, where it is exact to
 * rounding, and Hankel's asymptotic expansion (the P and Q series to x⁻⁸) beyond, where the
 * series would lose every digit to cancellation; accurate to ~1e-8 there, which is far below what
 * a KAN edge resolves.
 */
export function besselJ0(x: number): number {
  const ax = Math.abs(x);
  if (ax >= 8) return besselJ0Asymptotic(ax);
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 60; k++) {
    term *= -q / (k * k);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return sum;
}

/** J0(x) ≈ √(2/(πx))·(P(x)·cos(x − π/4) − Q(x)·sin(x − π/4)) for x ≥ 8. */
function besselJ0Asymptotic(x: number): number {
  const z = 8 / x;
  const y = z * z;
  const p = 1 + y * (-0.1098628627e-2 + y * (0.2734510407e-4 + y * (-0.2073370639e-5 + y * 0.2093887211e-6)));
  const q =
    -0.1562499995e-1 +
    y * (0.1430488765e-3 + y * (-0.6911147651e-5 + y * (0.7621095161e-6 - y * 0.934935152e-7)));
  const t = x - Math.PI / 4;
  return Math.sqrt(2 / (Math.PI * x)) * (Math.cos(t) * p - z * Math.sin(t) * q);
}
