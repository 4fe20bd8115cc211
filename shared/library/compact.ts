/**
 * Compacting a library to a firmware profile's libraryEntryBudget.
 *
 * Every builtin (provenance.source 'builtin') is kept, in its place. The other entries are
 * ranked by score, best first:
 *   1. usage.count, higher first (what layers actually select);
 *   2. fitError.rms, lower first (the more faithful shape);
 *   3. id, for a deterministic order.
 * A greedy pass then walks that ranking: an entry within NEAR_DUPLICATE_DISTANCE of one already
 * kept (builtins included) is folded into the nearest (its usage added there), else it is kept
 * while the budget lasts, else dropped. Kept entries stay in their original library order.
 * The result has version lib.version + 1 and parent lib.
 */
import type { ActivationEntry } from '../activations/index.js';
import { InputError } from '../errors.js';
import { type ActivationLibrary, makeLibrary } from './library.js';
import type { FoldedEntry } from './merge.js';
import { NEAR_DUPLICATE_DISTANCE, ShapeIndex, tabulateShape } from './near.js';
import { mergeUsage, withUsage } from './usage.js';

/** What compaction needs of a firmware profile. */
export interface EntryBudget {
  readonly libraryEntryBudget: number;
  /** Named in errors. */
  readonly name?: string;
}

export interface CompactOptions {
  /** Near-duplicate distance. @defaultValue NEAR_DUPLICATE_DISTANCE (0.02) */
  readonly threshold?: number;
}

export interface CompactReport {
  readonly library: ActivationLibrary;
  readonly budget: number;
  /** Ids kept, in library order. */
  readonly kept: readonly string[];
  /** Near-duplicates folded into a kept entry. */
  readonly merged: readonly FoldedEntry[];
  /** Ids dropped for want of budget. */
  readonly dropped: readonly string[];
}

/** Ranking of the non-builtin entries, best first (see the file header). */
export function compactionOrder(entries: readonly ActivationEntry[]): ActivationEntry[] {
  return [...entries].sort(
    (p, q) =>
      q.meta.usage.count - p.meta.usage.count ||
      p.meta.fitError.rms - q.meta.fitError.rms ||
      (p.id < q.id ? -1 : p.id > q.id ? 1 : 0),
  );
}

export function compactLibraryReport(
  lib: ActivationLibrary,
  profile: EntryBudget,
  options: CompactOptions = {},
): CompactReport {
  const budget = profile.libraryEntryBudget;
  const builtins = lib.entries.filter((e) => e.meta.provenance.source === 'builtin');
  if (builtins.length > budget) {
    throw new InputError(
      `profile ${profile.name ?? ''} libraryEntryBudget ${budget} is below the ${builtins.length} builtin ` +
        `entries of library version ${lib.version}, which are always kept`,
    );
  }
  const index = new ShapeIndex(options.threshold ?? NEAR_DUPLICATE_DISTANCE);
  const keptIds: string[] = [];
  const usage = new Map<string, ActivationEntry['meta']['usage']>();
  for (const e of builtins) {
    index.add(tabulateShape(e));
    keptIds.push(e.id);
  }
  const merged: FoldedEntry[] = [];
  const dropped: string[] = [];
  for (const e of compactionOrder(lib.entries.filter((x) => x.meta.provenance.source !== 'builtin'))) {
    const shape = tabulateShape(e);
    const near = index.nearest(shape);
    if (near) {
      const into = keptIds[near.index];
      const prev = usage.get(into) ?? lib.entries.find((x) => x.id === into)!.meta.usage;
      usage.set(into, mergeUsage(prev, e.meta.usage));
      merged.push({ id: e.id, name: e.name, into, distance: near.distance });
    } else if (keptIds.length < budget) {
      index.add(shape);
      keptIds.push(e.id);
    } else {
      dropped.push(e.id);
    }
  }
  const keep = new Set(keptIds);
  const entries = lib.entries
    .filter((e) => keep.has(e.id))
    .map((e) => (usage.has(e.id) ? withUsage(e, usage.get(e.id)!) : e));
  const library = makeLibrary(entries, lib.version + 1, lib);
  return { library, budget, kept: entries.map((e) => e.id), merged, dropped };
}

/** The library cut to the profile's entry budget (see compactLibraryReport). */
export function compactLibrary(
  lib: ActivationLibrary,
  profile: EntryBudget,
  options: CompactOptions = {},
): ActivationLibrary {
  return compactLibraryReport(lib, profile, options).library;
}
