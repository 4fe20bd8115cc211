/**
 * Near-duplicate detection for merging and compacting libraries, by the affine-invariant
 * distance of shared/activations/distance.ts (directedDistance in both directions, the
 * symmetric max, exactly as activationDistance defines it).
 *
 * Two shapes count as near-duplicates when their distance is ≤ NEAR_DUPLICATE_DISTANCE = 0.02:
 * the best affine copy of one explains the other up to 2% of its standard deviation (RMS).
 * For scale, in the classic library tanh–sigmoid is 0.000 (one shape), relu–leaky_relu 0.006,
 * relu–gelu 0.049 and tanh–silu 0.15; a refit of the same KAN edge lands well under 0.01.
 *
 * Speed: activationDistance evaluates ψ through its form at every probe. Here each shape is tabulated
 * once on z ∈ [-TABLE_RADIUS, TABLE_RADIUS] (tail applied) and read by linear interpolation
 * (within ~1e-6 of the form). Outside the table ψ2 reads NaN, which directedDistance scores as
 * "explains nothing", so the search stays within |a| + |b| ≤ TABLE_RADIUS; directedDistance
 * caps its own search (maxEvaluations). A pair costs a few milliseconds.
 */
import { type ActivationEntry, compileActivation, directedDistance } from '../activations/index.js';

/** Shapes at most this far apart (affine-invariant distance) are one shape. */
export const NEAR_DUPLICATE_DISTANCE = 0.02;
/** ψ is tabulated on [-TABLE_RADIUS, TABLE_RADIUS] and held constant beyond. */
export const TABLE_RADIUS = 6;
/** Table spacing 1/400 (so the 201-point distance grid on [-1, 1] falls on table nodes). */
const TABLE_STEPS_PER_UNIT = 400;

/** ψ of one entry as a fast, bounded function of z. */
export type ShapeFunction = (z: number) => number;

export function tabulateShape(entry: ActivationEntry): ShapeFunction {
  const act = compileActivation(entry);
  const n = 2 * TABLE_RADIUS * TABLE_STEPS_PER_UNIT + 1;
  const table = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = act.value(-TABLE_RADIUS + i / TABLE_STEPS_PER_UNIT);
    table[i] = Number.isFinite(v) ? v : 0;
  }
  return (z) => {
    if (!(Math.abs(z) <= TABLE_RADIUS)) return Number.NaN;
    const u = (z + TABLE_RADIUS) * TABLE_STEPS_PER_UNIT;
    const i = Math.min(Math.floor(u), n - 2);
    const t = u - i;
    return table[i] + t * (table[i + 1] - table[i]);
  };
}

/** The symmetric affine-invariant distance of two tabulated shapes. */
export function shapeDistance(f1: ShapeFunction, f2: ShapeFunction): number {
  return Math.max(directedDistance(f1, f2), directedDistance(f2, f1));
}

export interface NearMatch {
  readonly index: number;
  readonly distance: number;
}

/** A growing set of shapes that answers "which one is this near?" (nearest within the threshold). */
export class ShapeIndex {
  private readonly shapes: ShapeFunction[] = [];
  private readonly threshold: number;

  constructor(threshold = NEAR_DUPLICATE_DISTANCE) {
    this.threshold = threshold;
  }

  get size(): number {
    return this.shapes.length;
  }

  /** Add a shape; returns its index. */
  add(shape: ShapeFunction): number {
    this.shapes.push(shape);
    return this.shapes.length - 1;
  }

  /** Every shape within the threshold, nearest first (lower index first on ties). */
  within(shape: ShapeFunction): NearMatch[] {
    const out: NearMatch[] = [];
    this.shapes.forEach((s, index) => {
      const distance = shapeDistance(shape, s);
      if (distance <= this.threshold) out.push({ index, distance });
    });
    return out.sort((p, q) => p.distance - q.distance || p.index - q.index);
  }

  /** The nearest shape within the threshold (the lowest index on ties), or null. */
  nearest(shape: ShapeFunction): NearMatch | null {
    return this.within(shape)[0] ?? null;
  }
}
