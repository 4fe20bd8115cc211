/**
 * How well a library entry explains the shape the hungry layers wanted: the pooled samples
 * (u, φ) become a curve on z ∈ [-1, 1] (u's range mapped onto it, φ linearly interpolated
 * between samples), and the measure is the library's own affine-invariant distance of that
 * curve from the entry's shape (shared/activations/distance.ts: 0 for an affine copy, about 1
 * when no affine copy explains anything). It is the same yardstick dedup uses, so "better
 * than every classic" means what the library would mean by it.
 */
import type { ActivationEntry } from '../../../shared/activations/index.js';
import { directedDistance } from '../../../shared/activations/index.js';
import { evaluateNatural } from '../../../shared/library/evaluate.js';
import { type ShapeFunction, tabulateShape } from '../../../shared/library/near.js';

export interface Curve {
  readonly u: readonly number[];
  readonly phi: readonly number[];
}

/** The hungry curve as a function of z ∈ [-1, 1]; samples at equal u are averaged. */
export function curveShape(curve: Curve): ShapeFunction {
  const order = curve.u.map((_, i) => i).sort((a, b) => curve.u[a]! - curve.u[b]!);
  const xs: number[] = [];
  const ys: number[] = [];
  let count = 0;
  for (const i of order) {
    const x = curve.u[i]!;
    if (xs.length > 0 && x === xs.at(-1)) {
      count++;
      ys[ys.length - 1] += (curve.phi[i]! - ys.at(-1)!) / count;
    } else {
      xs.push(x);
      ys.push(curve.phi[i]!);
      count = 1;
    }
  }
  const lo = xs[0]!;
  const hi = xs.at(-1)!;
  return (z) => {
    const x = lo + ((z + 1) / 2) * (hi - lo);
    if (x <= lo) return ys[0]!;
    if (x >= hi) return ys.at(-1)!;
    let a = 0;
    let b = xs.length - 1;
    while (b - a > 1) {
      const m = (a + b) >> 1;
      if (xs[m]! <= x) a = m;
      else b = m;
    }
    const t = (x - xs[a]!) / (xs[b]! - xs[a]!);
    return ys[a]! + t * (ys[b]! - ys[a]!);
  };
}

/** Affine-invariant distance of the hungry curve from the entry's shape. */
export function hungerDistance(target: ShapeFunction, entry: ActivationEntry): number {
  return directedDistance(target, tabulateShape(entry));
}

/** RMS of entry(u) − φ with the entry's natural affine, relative to std φ (no refit). */
export function naturalRelRms(curve: Curve, entry: ActivationEntry): number {
  const y = evaluateNatural(entry, curve.u);
  const n = curve.phi.length;
  let mean = 0;
  for (const v of curve.phi) mean += v / n;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    sse += (y[i]! - curve.phi[i]!) ** 2;
    sst += (curve.phi[i]! - mean) ** 2;
  }
  return Math.sqrt(sse / Math.max(sst, 1e-300));
}

/** The entry of `entries` closest to the curve, by hungerDistance. */
export function closestEntry(
  target: ShapeFunction,
  entries: readonly ActivationEntry[],
): { name: string; hungerDistance: number } | null {
  let best: { name: string; hungerDistance: number } | null = null;
  for (const e of entries) {
    const d = hungerDistance(target, e);
    if (!best || d < best.hungerDistance) best = { name: e.name, hungerDistance: d };
  }
  return best;
}
