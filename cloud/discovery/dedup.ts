/**
 * Deduplication of new entries against a library and among themselves, by the affine-invariant
 * distance defined in shared/activations/distance.ts (computed here with a bounded search, below). A new entry within DEDUP_THRESHOLD (0.02: the best
 * affine copy leaves under 2% of the shape's standard deviation unexplained) of an existing one is
 * not added; instead the existing entry's usage grows by the new one's (count, byTask). New
 * entries are compared in order, so a later copy of an earlier new entry merges into it.
 *
 * Why not activationDistance itself: its pattern search has no iteration bound, and for shapes far
 * apart it creeps along directions where the cost keeps falling slowly (minutes per pair were seen
 * for a chebyshev J0 against the classics, seconds for tanh). Here each pair is first scored on a
 * fixed (a, b) grid only (|a| ∈ [0.5, 2], b ∈ [-1, 1], closed-form c, d, both directions), an upper
 * bound of the distance; a pair whose screen exceeds SCREEN_MAX (0.25) is distinct. Pairs under it
 * get a pattern search of at most REFINE_MOVES moves. True copies land near a = ±1, b = 0.
 */
import { compileActivation } from '../../shared/activations/compile.js';
import type { ActivationEntry } from '../../shared/activations/entry.js';
import { type ActivationLibrary, makeLibrary } from '../../shared/library/library.js';

export const DEDUP_THRESHOLD = 0.02;
export const SCREEN_MAX = 0.25;
const GRID_Z = Float64Array.from({ length: 101 }, (_, k) => -1 + k / 50);
const REFINE_MOVES = 400;
const SCREEN_A = [0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2].flatMap((m) => [m, -m]);
const SCREEN_B = [-1, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, 1];

/** RMS misfit of f1 by the best c·f2(a·z + b) + d on the grid, relative to f1's spread. */
function misfit(
  y: Float64Array,
  my: number,
  syy: number,
  f2: (z: number) => number,
  a: number,
  b: number,
): number {
  const n = y.length;
  const g = new Float64Array(n);
  let mg = 0;
  for (let i = 0; i < n; i++) mg += (g[i] = f2(a * GRID_Z[i] + b)) / n;
  let sgg = 0;
  let sgy = 0;
  for (let i = 0; i < n; i++) [sgg, sgy] = [sgg + (g[i] - mg) ** 2, sgy + (g[i] - mg) * (y[i] - my)];
  const rss = sgg > 1e-30 * syy ? syy - (sgy * sgy) / sgg : syy;
  return Number.isFinite(rss) ? Math.sqrt(Math.max(rss, 0) / syy) : 1;
}

/**
 * Directed affine-invariant distance (the definition of distance.ts) with a bounded search: the
 * fixed grid, then at most REFINE_MOVES pattern-search moves from the best grid point, |a| ≤ 8.
 * With refine false it is the grid-only screen.
 */
function directed(f1: (z: number) => number, f2: (z: number) => number, refine: boolean): number {
  const y = Float64Array.from(GRID_Z, f1);
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let syy = 0;
  for (const v of y) syy += (v - my) ** 2;
  if (syy <= 1e-30) return 0;
  let best = { a: 1, b: 0, v: Infinity };
  for (const a of SCREEN_A)
    for (const b of SCREEN_B) {
      const v = misfit(y, my, syy, f2, a, b);
      if (v < best.v) best = { a, b, v };
    }
  if (!refine) return best.v;
  let moves = 0;
  for (let step = 0.125; step > 1e-7 && moves < REFINE_MOVES; moves++) {
    let moved = false;
    for (const [da, db] of [
      [step, 0],
      [-step, 0],
      [0, step],
      [0, -step],
    ]) {
      const a = best.a + da;
      if (Math.abs(a) > 8) continue;
      const v = misfit(y, my, syy, f2, a, best.b + db);
      if (v < best.v) [best, moved] = [{ a, b: best.b + db, v }, true];
    }
    if (!moved) step /= 2;
  }
  return best.v;
}

/** Symmetric distance of two entries (max of both directions); refine false gives the screen. */
export function dedupDistance(e1: ActivationEntry, e2: ActivationEntry, refine = true): number {
  const c1 = compileActivation(e1);
  const c2 = compileActivation(e2);
  const f1 = (z: number) => c1.value(z);
  const f2 = (z: number) => c2.value(z);
  return Math.max(directed(f1, f2, refine), directed(f2, f1, refine));
}

export interface DedupReport {
  /** Ids of the entries added. */
  readonly added: readonly string[];
  readonly duplicates: readonly { newName: string; existingId: string; distance: number }[];
}

export interface DedupOptions {
  /** @defaultValue DEDUP_THRESHOLD */
  readonly threshold?: number;
}

/** into's usage plus from's (a new entry without usage counts once). */
function mergeUsage(into: ActivationEntry, from: ActivationEntry): ActivationEntry {
  const byTask: Record<string, number> = { ...into.meta.usage.byTask };
  const add = from.meta.usage.count > 0 ? from.meta.usage : { count: 1, byTask: {} };
  for (const [k, v] of Object.entries(add.byTask)) byTask[k] = (byTask[k] ?? 0) + v;
  const usage = { count: into.meta.usage.count + add.count, byTask };
  return { ...into, meta: { ...into.meta, usage } };
}

/** The existing entries (usage updated) followed by the new entries that are not duplicates. */
export function dedupEntries(
  existing: readonly ActivationEntry[],
  fresh: readonly ActivationEntry[],
  options: DedupOptions = {},
): { entries: ActivationEntry[]; report: DedupReport } {
  const threshold = options.threshold ?? DEDUP_THRESHOLD;
  const entries = [...existing];
  const added: string[] = [];
  const duplicates: { newName: string; existingId: string; distance: number }[] = [];
  for (const e of fresh) {
    let best = { index: -1, distance: Infinity };
    entries.forEach((old, index) => {
      if (old.id !== e.id && dedupDistance(e, old, false) > Math.max(SCREEN_MAX, 3 * threshold)) return;
      const distance = old.id === e.id ? 0 : dedupDistance(e, old);
      if (distance < best.distance) best = { index, distance };
    });
    if (best.index >= 0 && best.distance <= threshold) {
      entries[best.index] = mergeUsage(entries[best.index], e);
      duplicates.push({ newName: e.name, existingId: entries[best.index].id, distance: best.distance });
    } else {
      entries.push(e);
      added.push(e.id);
    }
  }
  return { entries, report: { added, duplicates } };
}

/** A new library version from a parent and new entries: dedup, then makeLibrary(…, v + 1, parent). */
export function nextLibraryVersion(
  parent: ActivationLibrary,
  fresh: readonly ActivationEntry[],
  options: DedupOptions = {},
): { library: ActivationLibrary; report: DedupReport } {
  const { entries, report } = dedupEntries(parent.entries, fresh, options);
  return { library: makeLibrary(entries, parent.version + 1, parent), report };
}
