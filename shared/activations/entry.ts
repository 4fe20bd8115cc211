/**
 * The library entry: a canonical shape plus everything a selector, an exporter or a person
 * needs to judge it (where it came from, how well it fits, what it costs, how its gradient
 * behaves, how often it is used). This file holds the types, the zod schema for library.json
 * and parseActivationEntry(), which turns schema failures into SchemaError and semantic ones
 * (bad params, 'extend' on a form that may explode, a stale id) into LibraryEntryError, each
 * naming the file, the entry and the field.
 */

import { LibraryEntryError, SchemaError } from '../errors.js';
import * as z from '../zod.js';
import { type FormParams, formModule } from './forms/index.js';
import { activationId } from './hash.js';
import { type Affine, FORM_NAMES, type FormName, TAIL_POLICIES, type TailPolicy } from './types.js';

export interface Provenance {
  readonly source: 'builtin' | 'kan' | 'user';
  /** Task family the shape was discovered on. */
  readonly family?: string;
  readonly run?: string;
  readonly seed?: number;
  readonly layer?: number;
  /** KAN edge, e.g. '3->5'. */
  readonly edge?: string;
  /** ISO 8601 time. */
  readonly createdAt?: string;
}

export interface EntryMeta {
  readonly provenance: Provenance;
  /** Error of ψ against the samples it was fitted to, on z ∈ [-1, 1] (0 for builtins). */
  readonly fitError: { readonly maxAbs: number; readonly rms: number };
  readonly cost: { readonly opsPerElement: number; readonly nsPerElement?: number };
  readonly gradient: {
    /** max |ψ′| over [-1, 1] and the tail (sampled to |z| ≤ 1000 for 'extend'). */
    readonly lipschitz: number;
    readonly monotone: 'increasing' | 'decreasing' | 'none';
    /** Bounded on all of ℝ given the tail policy. */
    readonly bounded: boolean;
    readonly smoothness: 'C0' | 'C1' | 'Cinf';
  };
  readonly usage: { readonly count: number; readonly byTask: Readonly<Record<string, number>> };
}

export interface ActivationEntry {
  /** Content hash of {form, params, tail}: see hash.ts. */
  readonly id: string;
  readonly name: string;
  readonly form: FormName;
  readonly params: FormParams;
  readonly tail: TailPolicy;
  /** The affine that gives back the original function: f(x) = c·ψ(a·x + b) + d. */
  readonly natural: Affine;
  readonly meta: EntryMeta;
}

const finite = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));
const nonNegative = finite.check(z.refine((v) => v >= 0, 'must be ≥ 0'));
const nonNegativeInt = () => z.int().check(z.nonnegative());

export const AffineSchema = z.object({ a: finite, b: finite, c: finite, d: finite });

export const EntryMetaSchema = z.object({
  provenance: z.object({
    source: z.enum(['builtin', 'kan', 'user'], { error: () => 'must be one of builtin, kan, user' }),
    family: z.optional(z.string()),
    run: z.optional(z.string()),
    seed: z.optional(z.int()),
    layer: z.optional(nonNegativeInt()),
    edge: z.optional(z.string()),
    createdAt: z.optional(z.string()),
  }),
  fitError: z.object({ maxAbs: nonNegative, rms: nonNegative }),
  cost: z.object({ opsPerElement: nonNegativeInt(), nsPerElement: z.optional(nonNegative) }),
  gradient: z.object({
    lipschitz: nonNegative,
    monotone: z.enum(['increasing', 'decreasing', 'none'], {
      error: () => 'must be one of increasing, decreasing, none',
    }),
    bounded: z.boolean(),
    smoothness: z.enum(['C0', 'C1', 'Cinf'], { error: () => 'must be one of C0, C1, Cinf' }),
  }),
  usage: z.object({ count: nonNegativeInt(), byTask: z.record(z.string(), z.number()) }),
});

/** The entry's structure with params left opaque (they are checked by the form's own parse). */
export const ActivationEntryJsonSchema = z.object({
  id: z.string().check(z.regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex characters')),
  name: z.string().check(z.minLength(1, 'must not be empty')),
  form: z.enum(FORM_NAMES as [FormName, ...FormName[]], {
    error: (iss) => `form must be one of ${FORM_NAMES.join(', ')} (got ${JSON.stringify(iss.input)})`,
  }),
  params: z.unknown(),
  tail: z.enum(TAIL_POLICIES as [TailPolicy, ...TailPolicy[]], {
    error: (iss) =>
      `tail policy must be one of ${TAIL_POLICIES.join(', ')} (got ${JSON.stringify(iss.input)})`,
  }),
  natural: AffineSchema,
  meta: EntryMetaSchema,
});

export interface ParseEntryOptions {
  /**
   * Reject an entry whose id is not the content hash of its form, params and tail.
   * @defaultValue true
   */
  readonly checkId?: boolean;
}

function label(json: unknown): string {
  const rec = (json ?? {}) as Record<string, unknown>;
  const name = typeof rec.name === 'string' ? rec.name : '?';
  const id = typeof rec.id === 'string' ? rec.id : '?';
  return `entry '${name}' (id ${id})`;
}

/** Check the semantic rules the structure cannot express; returns the parsed entry. */
function finish(
  e: z.infer<typeof ActivationEntryJsonSchema>,
  where: string,
  opts: ParseEntryOptions,
): ActivationEntry {
  const form = formModule(e.form);
  const params = form.parse(e.params, where);
  if (e.tail === 'extend' && !form.extendable(params)) {
    throw new LibraryEntryError(
      `${where}: field 'tail': 'extend' is not allowed for this ${e.form} shape, which is not safe on all ` +
        `of ℝ; use 'linear' or 'constant'`,
    );
  }
  if (opts.checkId !== false) {
    const expected = activationId(e.form, params, e.tail);
    if (expected !== e.id) {
      throw new LibraryEntryError(
        `${where}: field 'id': is not the content hash ${expected} of form, params, tail`,
      );
    }
  }
  return { ...e, params, meta: e.meta as EntryMeta };
}

/**
 * Parse one entry from JSON. `file` names the library file for messages.
 * @throws SchemaError when the structure is wrong; LibraryEntryError when params, tail or id are.
 */
export function parseActivationEntry(
  json: unknown,
  file: string,
  opts: ParseEntryOptions = {},
): ActivationEntry {
  const r = ActivationEntryJsonSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SchemaError(file, issue.path.map(String).join('.'), `${label(json)}: ${issue.message}`, {
      cause: r.error,
    });
  }
  return finish(r.data, `${file}: ${label(json)}`, opts);
}

/**
 * The same checks as a zod schema, for composing into a larger file schema (library.json).
 * Semantic failures become custom issues on the offending field.
 */
export const ActivationEntrySchema = z.pipe(
  ActivationEntryJsonSchema,
  z.transform((e, ctx): ActivationEntry => {
    try {
      return finish(e, label(e), {});
    } catch (err) {
      const field = /field '([^']+)'/.exec(String((err as Error).message))?.[1] ?? 'params';
      ctx.issues.push({ code: 'custom', message: (err as Error).message, path: field.split('.'), input: e });
      return z.NEVER;
    }
  }),
);

/** Plain JSON for library.json (params through the form's toJSON). */
export function entryToJSON(e: ActivationEntry): unknown {
  return {
    id: e.id,
    name: e.name,
    form: e.form,
    params: formModule(e.form).toJSON(e.params),
    tail: e.tail,
    natural: { ...e.natural },
    meta: e.meta,
  };
}

/**
 * parseActivationEntry without the id check, for callers that compare the id themselves
 * (shared/library reports a stale id with the entry's index).
 */
export function parseEntry(json: unknown, where: string): ActivationEntry {
  return parseActivationEntry(json, where, { checkId: false });
}
