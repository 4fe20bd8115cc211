/**
 * An affine-invariant distance between two shapes, for deduplicating the library:
 *   d(ψ1 → ψ2) = min over a, b, c, d of RMS_z[ψ1(z) − (c·ψ2(a·z + b) + d)] / std_z ψ1(z)
 * over a grid on [-1, 1]. c, d are closed-form least squares (a linear regression of ψ1 on
 * ψ2(a·z + b)); a, b are searched: a coarse grid including reflections (a < 0), then a pattern
 * search from the best few starts. ψ2 uses its tail outside [-1, 1]. The result is 0 for affine
 * copies and about 1 when ψ2 explains nothing of ψ1. activationDistance is the max of both
 * directions, so it is symmetric.
 */
import { type CompiledActivation, compileActivation } from './compile.js';
import type { ActivationEntry } from './entry.js';
import { linspace } from './math.js';

export interface DistanceOptions {
  /** Grid points on [-1, 1]. @defaultValue 201 */
  readonly gridPoints?: number;
  /**
   * Evaluations of the misfit in the pattern search, over all starts. Near-duplicates converge
   * in a few hundred; far-apart shapes can creep along a shallow valley for a long time, and
   * for them the exact value does not matter. @defaultValue 1500
   */
  readonly maxEvaluations?: number;
}

const MAGNITUDES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2];
const OFFSETS = [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1];
const STARTS = 4;

/** Directed distance of shape f1 from the affine copies of f2. */
export function directedDistance(
  f1: (z: number) => number,
  f2: (z: number) => number,
  options: DistanceOptions = {},
): number {
  const zs = linspace(-1, 1, options.gridPoints ?? 201);
  const n = zs.length;
  const y = Float64Array.from(zs, f1);
  let mean = 0;
  for (const v of y) mean += v / n;
  let syy = 0;
  for (const v of y) syy += (v - mean) ** 2;
  if (syy <= 1e-30) return 0;
  const g = new Float64Array(n);
  const cost = (a: number, b: number): number => {
    let mg = 0;
    for (let i = 0; i < n; i++) mg += (g[i] = f2(a * zs[i] + b)) / n;
    let sgg = 0;
    let sgy = 0;
    for (let i = 0; i < n; i++) {
      sgg += (g[i] - mg) ** 2;
      sgy += (g[i] - mg) * (y[i] - mean);
    }
    const rss = sgg > 1e-30 * syy ? syy - (sgy * sgy) / sgg : syy;
    return Number.isFinite(rss) ? Math.sqrt(Math.max(rss, 0) / syy) : Infinity;
  };
  let budget = options.maxEvaluations ?? 1500;
  const cands: { a: number; b: number; v: number }[] = [];
  for (const m of MAGNITUDES)
    for (const s of [1, -1]) for (const b of OFFSETS) cands.push({ a: s * m, b, v: cost(s * m, b) });
  cands.sort((p, q) => p.v - q.v);
  let best = cands[0].v;
  for (const start of cands.slice(0, STARTS)) {
    let { a, b, v } = start;
    for (let step = 0.125; step > 1e-7 && budget > 0; ) {
      let moved = false;
      budget -= 4;
      for (const [da, db] of [
        [step, 0],
        [-step, 0],
        [0, step],
        [0, -step],
      ]) {
        const t = cost(a + da, b + db);
        if (t < v) [a, b, v, moved] = [a + da, b + db, t, true];
      }
      if (!moved) step /= 2;
    }
    best = Math.min(best, v);
  }
  return best;
}

function asFunction(x: ActivationEntry | CompiledActivation): (z: number) => number {
  const act = 'evalInto' in x ? x : compileActivation(x);
  return (z) => act.value(z);
}

/** Symmetric affine-invariant distance: max of both directed distances. */
export function activationDistance(
  e1: ActivationEntry | CompiledActivation,
  e2: ActivationEntry | CompiledActivation,
  options: DistanceOptions = {},
): number {
  const f1 = asFunction(e1);
  const f2 = asFunction(e2);
  return Math.max(directedDistance(f1, f2, options), directedDistance(f2, f1, options));
}
