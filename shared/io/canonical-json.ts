/**
 * Canonical JSON for content hashes: object keys sorted, no whitespace, undefined fields left
 * out. The same content gives the same bytes whatever order keys were written in. With
 * `significantDigits`, numbers are rounded first (and −0 folded into 0), so shapes that differ
 * only in the last bits of a refit hash alike.
 */
export interface CanonicalJsonOptions {
  /** Round every number to this many significant digits. @defaultValue exact */
  readonly significantDigits?: number;
}

export function canonicalJson(value: unknown, opts: CanonicalJsonOptions = {}): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return JSON.stringify(String(value));
    if (opts.significantDigits === undefined) return JSON.stringify(value);
    const r = Number(value.toPrecision(opts.significantDigits));
    return JSON.stringify(r === 0 ? 0 : r);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, opts)).join(',')}]`;
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k], opts)}`).join(',')}}`;
}
