/**
 * Which of two releases of one kind is older (rollback protection, DESIGN "Releases and sync":
 * devices refuse a release older than the one they run). Versions are free-form, so:
 * - two numeric versions (`3`, `1.10.2`: digits and dots) compare segment by segment, as
 *   library versions and numbered model tags do;
 * - otherwise (model versions default to a hash prefix) the signed `createdAt` decides;
 * - when neither can tell (a version from before the device kept signing times), they are
 *   not ordered and nothing is refused.
 */

export interface ReleaseAge {
  readonly version: string;
  /** ISO 8601 signing time from the signed manifest; absent when not known. */
  readonly createdAt?: string;
}

const NUMERIC = /^\d+(\.\d+)*$/;

function compareNumeric(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Negative when `a` is older than `b`, positive when newer, 0 when the same or not ordered. */
export function compareReleaseAge(a: ReleaseAge, b: ReleaseAge): number {
  if (NUMERIC.test(a.version) && NUMERIC.test(b.version)) return compareNumeric(a.version, b.version);
  const ta = a.createdAt ? Date.parse(a.createdAt) : Number.NaN;
  const tb = b.createdAt ? Date.parse(b.createdAt) : Number.NaN;
  return Number.isFinite(ta) && Number.isFinite(tb) ? Math.sign(ta - tb) : 0;
}

/** The newer of two (the first when they are not ordered). */
export function newerRelease<T extends ReleaseAge>(a: T, b: T): T {
  return compareReleaseAge(b, a) > 0 ? b : a;
}
