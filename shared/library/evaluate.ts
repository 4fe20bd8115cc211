/**
 * Evaluating an entry as the function it came from: y = c·ψ(a·x + b) + d with the entry's
 * `natural` affine (for the tanh builtin, y = tanh(x) on all of ℝ), and finding entries by id,
 * unique name or unique id prefix.
 */
import { type ActivationEntry, compileActivation } from '../activations/index.js';
import { InputError } from '../errors.js';
import type { ActivationLibrary } from './library.js';

/** y[i] = c·ψ(a·x[i] + b) + d, tail applied outside z ∈ [-1, 1]. */
export function evaluateNatural(entry: ActivationEntry, xs: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(xs);
  const y = new Float64Array(x.length);
  compileActivation(entry).applyAffineInto(x, entry.natural, y);
  return y;
}

/** n evenly spaced points from lo to hi inclusive (n ≥ 2), exact at both ends. */
export function evenlySpaced(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1);
  return out;
}

const MIN_PREFIX = 4;

/**
 * The entry whose id is `ref`, else the one entry named `ref`, else the one entry whose id starts
 * with `ref` (≥ 4 hex characters). Ambiguity and absence are InputErrors listing the candidates.
 */
export function resolveEntry(lib: ActivationLibrary, ref: string): ActivationEntry {
  const byId = lib.entries.find((e) => e.id === ref);
  if (byId) return byId;
  const describe = (es: readonly ActivationEntry[]) => es.map((e) => `${e.name} (${e.id})`).join(', ');
  const named = lib.entries.filter((e) => e.name === ref);
  if (named.length === 1) return named[0];
  if (named.length > 1) {
    throw new InputError(
      `entry name '${ref}' is ambiguous in library version ${lib.version}: ${describe(named)}; give the id`,
    );
  }
  const prefixed =
    /^[0-9a-f]+$/.test(ref) && ref.length >= MIN_PREFIX
      ? lib.entries.filter((e) => e.id.startsWith(ref))
      : [];
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) {
    throw new InputError(
      `id prefix '${ref}' is ambiguous in library version ${lib.version}: ${describe(prefixed)}`,
    );
  }
  throw new InputError(
    `no entry with id or name '${ref}' in library version ${lib.version} (entries: ${describe(lib.entries)})`,
  );
}
