/**
 * Merging two libraries: a's entries first, unchanged in order, then b's entries that are new.
 * An entry of b is folded into a kept entry (usage added, a's shape and metadata kept) when it
 * has the same id, or when it is not a builtin and lies within NEAR_DUPLICATE_DISTANCE of one
 * (the nearest). Builtins are never folded by distance (tanh and sigmoid are one shape, but
 * both are names people ask for). The result has version max(a, b) + 1 and parent a.
 */
import { type ActivationEntry, entryPrimitive } from '../activations/index.js';
import { type ActivationLibrary, makeLibrary } from './library.js';
import { NEAR_DUPLICATE_DISTANCE, type NearMatch, ShapeIndex, tabulateShape } from './near.js';
import { mergeUsage, withUsage } from './usage.js';

export interface MergeOptions {
  /** Near-duplicate distance. @defaultValue NEAR_DUPLICATE_DISTANCE (0.02) */
  readonly threshold?: number;
}

export interface FoldedEntry {
  /** The entry of b that was folded. */
  readonly id: string;
  readonly name: string;
  /** The kept entry that received its usage. */
  readonly into: string;
  /** 0 for the same id, else the affine-invariant distance. */
  readonly distance: number;
}

export interface MergeReport {
  readonly library: ActivationLibrary;
  /** Ids of b's entries added as new entries. */
  readonly added: readonly string[];
  /** b's entries folded into kept ones. */
  readonly merged: readonly FoldedEntry[];
}

/** Merge b into a, with a report of what was added and what was folded. */
export function mergeLibrariesReport(
  a: ActivationLibrary,
  b: ActivationLibrary,
  options: MergeOptions = {},
): MergeReport {
  const kept: ActivationEntry[] = [...a.entries];
  const byId = new Map(kept.map((e, i) => [e.id, i]));
  const index = new ShapeIndex(options.threshold ?? NEAR_DUPLICATE_DISTANCE);
  for (const e of kept) index.add(tabulateShape(e));
  const added: string[] = [];
  const merged: FoldedEntry[] = [];
  const fold = (e: ActivationEntry, i: number, distance: number) => {
    kept[i] = withUsage(kept[i], mergeUsage(kept[i].meta.usage, e.meta.usage));
    merged.push({ id: e.id, name: e.name, into: kept[i].id, distance });
  };
  for (const e of b.entries) {
    const same = byId.get(e.id);
    if (same !== undefined) {
      fold(e, same, 0);
      continue;
    }
    const shape = tabulateShape(e);
    const near =
      e.meta.provenance.source === 'builtin' ? null : preferSameFunction(e, kept, index.within(shape));
    if (near) {
      fold(e, near.index, near.distance);
      continue;
    }
    byId.set(e.id, kept.length);
    kept.push(e);
    index.add(shape);
    added.push(e.id);
  }
  const library = makeLibrary(kept, Math.max(a.version, b.version) + 1, a);
  return { library, added, merged };
}

/**
 * Among near-duplicates (tanh and sigmoid are one shape), fold into the entry built on the same
 * closed-form function when there is one, so a discovered tanh counts as tanh's usage.
 */
function preferSameFunction(
  e: ActivationEntry,
  kept: readonly ActivationEntry[],
  matches: NearMatch[],
): NearMatch | null {
  const fn = entryPrimitive(e)?.name;
  return (fn && matches.find((m) => entryPrimitive(kept[m.index]!)?.name === fn)) || matches[0] || null;
}

/** The union of a and b (see mergeLibrariesReport). */
export function mergeLibraries(
  a: ActivationLibrary,
  b: ActivationLibrary,
  options: MergeOptions = {},
): ActivationLibrary {
  return mergeLibrariesReport(a, b, options).library;
}
