/**
 * Entry identity: id = the first 16 hex characters of sha256 over a canonical JSON of
 * {form, params, tail}. Keys are sorted and numbers rounded to 12 significant digits, so the
 * same shape gets the same id whatever the key order or the last bits of a refit.
 * (Only exact copies share an id; near-duplicates are found by distance.ts.)
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../io/canonical-json.js';
import type { FormParams } from './forms/index.js';
import { formModule } from './forms/index.js';
import type { FormName, TailPolicy } from './types.js';

export const ID_DIGITS = 12;
export const ID_HEX_CHARS = 16;

/** The content id of a shape. */
export function activationId(form: FormName, params: FormParams, tail: TailPolicy): string {
  const json = canonicalJson(
    { form, params: formModule(form).toJSON(params), tail },
    { significantDigits: ID_DIGITS },
  );
  return createHash('sha256').update(json).digest('hex').slice(0, ID_HEX_CHARS);
}

/** The content id an entry should carry. */
export function entryId(e: { form: FormName; params: FormParams; tail: TailPolicy }): string {
  return activationId(e.form, e.params, e.tail);
}
