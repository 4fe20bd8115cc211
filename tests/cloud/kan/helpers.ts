/** Shared fixtures for the KAN tests: seeded data sets and error measures. */
import { Rng } from '../../../shared/numeric/rng.js';

export interface Dataset {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly batch: number;
}

/** n points uniform in [lo, hi]^dim with targets f(point). */
export function sampleDataset(
  f: (p: Float64Array) => number,
  dim: number,
  n: number,
  seed: number,
  lo = -1,
  hi = 1,
): Dataset {
  const x = new Rng(seed).fillUniform(new Float64Array(n * dim), lo, hi);
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) y[s] = f(x.subarray(s * dim, (s + 1) * dim));
  return { x, y, batch: n };
}

export function rmse(pred: Float64Array, target: Float64Array): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return Math.sqrt(s / pred.length);
}

/** Bessel J0(z) = (1/π)∫₀^π cos(z·sin θ) dθ; the trapezoid rule converges exponentially here. */
export function besselJ0(z: number): number {
  const n = 200;
  let s = 0;
  for (let m = 0; m <= n; m++) {
    const w = m === 0 || m === n ? 0.5 : 1;
    s += w * Math.cos(z * Math.sin((Math.PI * m) / n));
  }
  return s / n;
}
