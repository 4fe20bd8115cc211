/**
 * Entry identity: id = the first 16 hex characters of sha256 over a canonical JSON of
 * {form, params, tail}. Keys are sorted and numbers rounded to 12 significant digits, so the
 * same shape gets the same id whatever the key order or the last bits of a refit.
 * (Only exact copies share an id; near-duplicates are found by distance.ts.)
 */
import { createHash } from 'node:crypto';
import type { FormParams } from './forms/index.js';
import { formModule } from './forms/index.js';
import type { FormName, TailPolicy } from './types.js';

export const ID_DIGITS = 12;
export const ID_HEX_CHARS = 16;

function round(v: number): number {
  const r = Number(v.toPrecision(ID_DIGITS));
  return r === 0 ? 0 : r; // folds −0 into 0
}

/** JSON with sorted keys and rounded numbers; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'number') return JSON.stringify(Number.isFinite(value) ? round(value) : String(value));
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
}

/** The content id of a shape. */
export function activationId(form: FormName, params: FormParams, tail: TailPolicy): string {
  const json = canonicalJson({ form, params: formModule(form).toJSON(params), tail });
  return createHash('sha256').update(json).digest('hex').slice(0, ID_HEX_CHARS);
}

/** The content id an entry should carry. */
export function entryId(e: { form: FormName; params: FormParams; tail: TailPolicy }): string {
  return activationId(e.form, e.params, e.tail);
}
