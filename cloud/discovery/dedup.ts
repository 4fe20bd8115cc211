/**
 * New discovery entries into a library version: the library merge (shared/library/merge.ts)
 * does the work — same id or within the near-duplicate distance of a kept entry folds the new
 * entry's usage into it, anything else is added — and this file names the result the way
 * discovery reports it.
 */
import type { ActivationEntry } from '../../shared/activations/index.js';
import { type ActivationLibrary, makeLibrary } from '../../shared/library/library.js';
import { mergeLibrariesReport } from '../../shared/library/merge.js';
import { mergeUsage, withUsage } from '../../shared/library/usage.js';

export interface DedupReport {
  /** Ids of the entries added. */
  readonly added: readonly string[];
  readonly duplicates: readonly { newName: string; existingId: string; distance: number }[];
}

export interface DedupOptions {
  /** Near-duplicate distance. @defaultValue NEAR_DUPLICATE_DISTANCE (0.02) */
  readonly threshold?: number;
}

/** A new library version (parent.version + 1) holding the parent's entries and the new shapes. */
export function nextLibraryVersion(
  parent: ActivationLibrary,
  fresh: readonly ActivationEntry[],
  options: DedupOptions = {},
): { library: ActivationLibrary; report: DedupReport } {
  const incoming = makeLibrary(dedupById(fresh), 0);
  const r = mergeLibrariesReport(parent, incoming, options);
  return {
    library: r.library,
    report: {
      added: r.added,
      duplicates: r.merged.map((m) => ({ newName: m.name, existingId: m.into, distance: m.distance })),
    },
  };
}

/** The same shape found twice in one run arrives once, its usage counted twice. */
function dedupById(entries: readonly ActivationEntry[]): ActivationEntry[] {
  const out = new Map<string, ActivationEntry>();
  for (const e of entries) {
    const seen = out.get(e.id);
    out.set(e.id, seen ? withUsage(seen, mergeUsage(seen.meta.usage, e.meta.usage)) : e);
  }
  return [...out.values()];
}
