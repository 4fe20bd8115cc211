/**
 * The builtin library: the classic activations as entries. Each is canonicalised on a window
 * that shows its characteristic shape (tanh's saturation, silu's dip) and uses tail 'extend',
 * so with its natural affine the entry is the original function on all of ℝ.
 */

import { canonicalAffineParams } from './canonical.js';
import type { ActivationEntry } from './entry.js';
import { CLASSIC_NAMES, CLASSIC_TABLE, type ClassicName } from './forms/classic.js';
import { PRIMITIVES } from './primitives.js';
import { buildEntry } from './properties.js';

/** Input window [lo, hi] of each classic builtin. */
export const CLASSIC_WINDOWS: Readonly<Record<ClassicName, readonly [number, number]>> = Object.freeze({
  identity: [-1, 1],
  relu: [-1, 1],
  leaky_relu: [-1, 1],
  tanh: [-3, 3],
  sigmoid: [-6, 6],
  silu: [-4, 4],
  gelu: [-3, 3],
  sin: [-Math.PI, Math.PI],
  softplus: [-4, 4],
  gaussian: [-3, 3],
});

/** The classic builtin entry for one name. */
export function classicEntry(name: ClassicName): ActivationEntry {
  const [lo, hi] = CLASSIC_WINDOWS[name];
  const { params, natural } = canonicalAffineParams(name, PRIMITIVES[CLASSIC_TABLE[name]], lo, hi);
  return buildEntry({
    name,
    form: 'classic',
    params: Object.freeze(params),
    tail: 'extend',
    natural,
    provenance: { source: 'builtin' },
  });
}

/** identity, relu, leaky_relu, tanh, sigmoid, silu, gelu, sin, softplus, gaussian (in that order). */
export function classicEntries(): ActivationEntry[] {
  return CLASSIC_NAMES.map(classicEntry);
}
