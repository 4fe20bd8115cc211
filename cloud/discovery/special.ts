/** Special functions the task families need. */

/** Bessel function of the first kind, order 0, by its power series (accurate for |x| ≤ 12). */
export function besselJ0(x: number): number {
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
