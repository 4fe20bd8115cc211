/** Usage statistics of library entries: how often a layer selected the entry, in total and per task. */
import type { ActivationEntry, EntryMeta } from '../activations/index.js';

export type Usage = EntryMeta['usage'];

/** Counts added, per-task counts added key by key (keys sorted, so the result is deterministic). */
export function mergeUsage(u1: Usage, u2: Usage): Usage {
  const byTask: Record<string, number> = {};
  for (const k of [...new Set([...Object.keys(u1.byTask), ...Object.keys(u2.byTask)])].sort()) {
    byTask[k] = (u1.byTask[k] ?? 0) + (u2.byTask[k] ?? 0);
  }
  return { count: u1.count + u2.count, byTask };
}

/** The entry with its usage replaced (the id does not change: it hashes only the shape). */
export function withUsage(entry: ActivationEntry, usage: Usage): ActivationEntry {
  return { ...entry, meta: { ...entry.meta, usage } };
}
