/**
 * Derived metadata of an entry, computed from the shape itself rather than trusted from its
 * author: gradient behaviour (Lipschitz bound, monotonicity, boundedness, smoothness) and cost.
 * buildEntry() assembles a complete ActivationEntry (id, meta) from a shape and its provenance.
 */
import { compileActivation, entryPrimitive } from './compile.js';
import type { ActivationEntry, EntryMeta, Provenance } from './entry.js';
import type { FormParams } from './forms/index.js';
import { formModule } from './forms/index.js';
import { activationId } from './hash.js';
import type { Affine, FormName, TailPolicy } from './types.js';

/** Grid points over [-1, 1] for the sampled properties. */
const GRID = 4001;
/** How far out an 'extend' tail is sampled (log-spaced), for the Lipschitz bound and boundedness. */
const FAR = [1.5, 2, 3, 5, 10, 30, 100, 300, 1000];
/** Slopes below this (relative to the largest) count as flat when deciding monotonicity. */
const FLAT = 1e-9;

/** Ops of the tail: Clip (both), Sub/Relu/Mul ×2 + Add/Sub for linear. */
export function tailOps(tail: TailPolicy): number {
  return tail === 'linear' ? 9 : tail === 'constant' ? 1 : 0;
}

export function gradientMeta(entry: ActivationEntry): EntryMeta['gradient'] {
  const act = compileActivation(entry);
  const zs: number[] = [];
  for (let i = 0; i < GRID; i++) zs.push(-1 + (2 * i) / (GRID - 1));
  const farZs = entry.tail === 'extend' ? FAR.flatMap((r) => [-r, r]) : [-2, 2];
  let lip = 0;
  let maxAbs = 0;
  let minSlope = Infinity;
  let maxSlope = -Infinity;
  for (const z of [...zs, ...farZs]) {
    const s = act.slope(z);
    lip = Math.max(lip, Math.abs(s));
    minSlope = Math.min(minSlope, s);
    maxSlope = Math.max(maxSlope, s);
  }
  for (const z of zs) maxAbs = Math.max(maxAbs, Math.abs(act.value(z)));
  const tol = FLAT * Math.max(lip, 1e-300);
  const monotone =
    minSlope >= -tol && maxSlope > tol
      ? 'increasing'
      : maxSlope <= tol && minSlope < -tol
        ? 'decreasing'
        : 'none';
  let bounded: boolean;
  if (entry.tail === 'constant') bounded = true;
  else if (entry.tail === 'linear') bounded = act.boundary.sLo === 0 && act.boundary.sHi === 0;
  else
    bounded = [1e3, 1e6].every(
      (r) => Math.max(Math.abs(act.value(r)), Math.abs(act.value(-r))) <= 10 * (1 + maxAbs),
    );
  const prim = entryPrimitive(entry);
  const core = prim?.smoothness ?? 'Cinf';
  let smoothness: EntryMeta['gradient']['smoothness'] = core;
  if (core === 'Cinf' && entry.tail === 'linear') smoothness = 'C1';
  if (core === 'Cinf' && entry.tail === 'constant') {
    smoothness = act.boundary.sLo === 0 && act.boundary.sHi === 0 ? 'C1' : 'C0';
  }
  return { lipschitz: lip, monotone, bounded: bounded && Number.isFinite(maxAbs), smoothness };
}

export interface BuildEntryOptions {
  readonly name: string;
  readonly form: FormName;
  readonly params: FormParams;
  readonly tail: TailPolicy;
  readonly natural: Affine;
  readonly provenance: Provenance;
  /** @defaultValue {maxAbs: 0, rms: 0} (exact shapes) */
  readonly fitError?: EntryMeta['fitError'];
}

/** A complete entry: id hashed from the shape, meta computed from it, usage zero. */
export function buildEntry(o: BuildEntryOptions): ActivationEntry {
  const form = formModule(o.form);
  const base: ActivationEntry = {
    id: activationId(o.form, o.params, o.tail),
    name: o.name,
    form: o.form,
    params: o.params,
    tail: o.tail,
    natural: { a: o.natural.a, b: o.natural.b, c: o.natural.c, d: o.natural.d },
    meta: {
      provenance: o.provenance,
      fitError: o.fitError ?? { maxAbs: 0, rms: 0 },
      cost: { opsPerElement: form.opsPerElement(o.params) + tailOps(o.tail) },
      gradient: { lipschitz: 0, monotone: 'none', bounded: false, smoothness: 'Cinf' },
      usage: { count: 0, byTask: {} },
    },
  };
  return { ...base, meta: { ...base.meta, gradient: gradientMeta(base) } };
}
