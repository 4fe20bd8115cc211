/**
 * The activation library file (library.json): a monotonic version, a content hash over the
 * entries, and the entries themselves. Loading validates the schema, every entry's params
 * (through its form), every entry's content id and the file's hash, so a corrupt or edited
 * library is refused with the file and field named rather than silently used.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ActivationEntry, classicEntries, entryId, parseEntry } from '../activations/index.js';
import { InputError, SchemaError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { canonicalJson } from '../io/canonical-json.js';
import { parseWithSchema, readJsonFile } from '../io/json-file.js';
import * as z from '../zod.js';

export const LIBRARY_FORMAT = 'liquidkan-library';
export const LIBRARY_FILE = 'library.json';

export interface ActivationLibrary {
  readonly version: number;
  /** sha256 of the canonical JSON of the entries (ids, forms, params, tails, metadata). */
  readonly hash: string;
  readonly entries: readonly ActivationEntry[];
  /** The version and hash this one was derived from, when it was. */
  readonly parent?: { readonly version: number; readonly hash: string };
}

const LibraryFileSchema = z.strictObject({
  format: z.literal(LIBRARY_FORMAT),
  version: z.int().check(z.nonnegative()),
  hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  parent: z.optional(z.strictObject({ version: z.int().check(z.nonnegative()), hash: z.string() })),
  /**
   * sha256 over the canonical JSON of {version, parent, hash}: with `hash` (the entries) it
   * covers the whole file, so an edited version or parent is refused too. Files written before
   * it existed have none and load as before.
   */
  fileHash: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  entries: z.array(z.unknown()).check(z.minLength(1)),
});

export function libraryHash(entries: readonly ActivationEntry[]): string {
  return createHash('sha256').update(canonicalJson(entries)).digest('hex');
}

export function makeLibrary(
  entries: readonly ActivationEntry[],
  version: number,
  parent?: ActivationLibrary,
): ActivationLibrary {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.id)) throw new InputError(`library: entry id ${e.id} (${e.name}) appears twice`);
    seen.add(e.id);
  }
  return {
    version,
    hash: libraryHash(entries),
    entries,
    ...(parent ? { parent: { version: parent.version, hash: parent.hash } } : {}),
  };
}

/** The built-in library of classic activations (version 1). */
export function classicLibrary(): ActivationLibrary {
  return makeLibrary(classicEntries(), 1);
}

/** The hash over what `hash` leaves out: the version and the parent (see LibraryFileSchema). */
export function libraryFileHash(lib: Pick<ActivationLibrary, 'version' | 'hash' | 'parent'>): string {
  const covered = { version: lib.version, hash: lib.hash, ...(lib.parent ? { parent: lib.parent } : {}) };
  return createHash('sha256').update(canonicalJson(covered)).digest('hex');
}

export function libraryToJson(lib: ActivationLibrary): string {
  const file = {
    format: LIBRARY_FORMAT,
    version: lib.version,
    hash: lib.hash,
    ...(lib.parent ? { parent: lib.parent } : {}),
    fileHash: libraryFileHash(lib),
    entries: lib.entries,
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Parse library.json content; `file` names the source in errors. */
export function parseLibrary(json: unknown, file: string): ActivationLibrary {
  const raw = parseWithSchema(LibraryFileSchema, json, file);
  const entries = raw.entries.map((e, i) => {
    const entry = parseEntry(e, `${file}: entries[${i}]`);
    const expected = entryId(entry);
    if (entry.id !== expected) {
      throw new SchemaError(
        file,
        `entries[${i}].id`,
        `is ${entry.id} but the entry's content hashes to ${expected} (edited or corrupt entry '${entry.name}')`,
      );
    }
    return entry;
  });
  const lib = makeLibrary(entries, raw.version, undefined);
  if (lib.hash !== raw.hash) {
    throw new SchemaError(
      file,
      'hash',
      `does not match the entries' content hash ${lib.hash} (corrupt or edited file)`,
    );
  }
  const out = raw.parent ? { ...lib, parent: raw.parent } : lib;
  if (raw.fileHash !== undefined && raw.fileHash !== libraryFileHash(out)) {
    throw new SchemaError(
      file,
      'fileHash',
      `does not match the version, parent and hash (${libraryFileHash(out)}): an edited or corrupt file`,
    );
  }
  return out;
}

/** `classic` for the built-in library, else a directory holding library.json (or the file itself). */
export function loadLibrary(ref: string): ActivationLibrary {
  if (ref === 'classic') return classicLibrary();
  const file = ref.endsWith('.json') ? ref : join(ref, LIBRARY_FILE);
  if (!existsSync(file)) {
    throw new InputError(
      `library '${ref}': no ${LIBRARY_FILE} found at ${file} (use 'classic' for the built-in one)`,
    );
  }
  return parseLibrary(readJsonFile(file), file);
}

export function saveLibrary(dir: string, lib: ActivationLibrary): string {
  const file = join(dir, LIBRARY_FILE);
  writeFileAtomic(file, libraryToJson(lib));
  return file;
}

export function findEntry(lib: ActivationLibrary, idOrName: string): ActivationEntry {
  const e = lib.entries.find((x) => x.id === idOrName) ?? lib.entries.find((x) => x.name === idOrName);
  if (!e) {
    throw new InputError(
      `no entry '${idOrName}' in library version ${lib.version} (entries: ${lib.entries.map((x) => x.name).join(', ')})`,
    );
  }
  return e;
}
