/**
 * library.json: the classic library, an exact round trip through the file, and refusal of a
 * corrupt file (not JSON, schema-invalid, an entry whose id is not its content hash, an edited
 * file hash) with the file and field named.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError, LiquidkanError, SchemaError } from '../../../shared/errors.js';
import {
  classicLibrary,
  findEntry,
  LIBRARY_FILE,
  libraryHash,
  libraryToJson,
  loadLibrary,
  makeLibrary,
  parseLibrary,
  saveLibrary,
} from '../../../shared/library/library.js';

const CLASSIC = [
  'identity',
  'relu',
  'leaky_relu',
  'tanh',
  'sigmoid',
  'silu',
  'gelu',
  'sin',
  'softplus',
  'gaussian',
];

const root = mkdtempSync(join(tmpdir(), 'liquidkan-library-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface LibraryFileJson {
  [field: string]: unknown;
  hash: string;
  entries: { id: string; name: string; tail: string; params: Record<string, unknown> }[];
}

/** library.json of the classic library as plain JSON, for editing. */
function classicJson(): LibraryFileJson {
  return JSON.parse(libraryToJson(classicLibrary())) as LibraryFileJson;
}

function refusal(json: unknown): LiquidkanError {
  try {
    parseLibrary(json, 'lib/library.json');
  } catch (err) {
    expect(err).toBeInstanceOf(LiquidkanError);
    return err as LiquidkanError;
  }
  throw new Error('expected the library to be refused');
}

describe('the classic library', () => {
  it('holds the ten classic activations, version 1, with unique content ids', () => {
    const lib = classicLibrary();
    expect(lib.version).toBe(1);
    expect(lib.entries.map((e) => e.name)).toEqual(CLASSIC);
    expect(new Set(lib.entries.map((e) => e.id)).size).toBe(10);
    expect(lib.hash).toBe(libraryHash(lib.entries));
    expect(lib.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is the same every time', () => {
    expect(libraryToJson(classicLibrary())).toBe(libraryToJson(classicLibrary()));
  });

  it('findEntry finds by id or name and lists the names when neither matches', () => {
    const lib = classicLibrary();
    const tanh = findEntry(lib, 'tanh');
    expect(findEntry(lib, tanh.id)).toBe(tanh);
    expect(() => findEntry(lib, 'swish')).toThrow(InputError);
    expect(() => findEntry(lib, 'swish')).toThrow(`(entries: ${CLASSIC.join(', ')})`);
  });
});

describe('library.json round trip', () => {
  it('save → load gives the same version, hash and entries, by directory or by file', () => {
    const lib = classicLibrary();
    const file = saveLibrary(join(root, 'saved'), lib);
    expect(file).toBe(join(root, 'saved', LIBRARY_FILE));
    for (const back of [loadLibrary(join(root, 'saved')), loadLibrary(file)]) {
      expect(back.version).toBe(lib.version);
      expect(back.hash).toBe(lib.hash);
      expect(libraryToJson(back)).toBe(libraryToJson(lib));
    }
  });

  it('keeps the parent a derived library records', () => {
    const base = classicLibrary();
    const derived = makeLibrary(base.entries.slice(0, 4), 2, base);
    const back = parseLibrary(JSON.parse(libraryToJson(derived)), 'derived.json');
    expect(back.version).toBe(2);
    expect(back.parent).toEqual({ version: 1, hash: base.hash });
    expect(back.hash).toBe(derived.hash);
    expect(back.hash).not.toBe(base.hash);
  });

  it("loadLibrary('classic') is the built-in one; an unknown directory says where it looked", () => {
    expect(loadLibrary('classic').hash).toBe(classicLibrary().hash);
    const where = join(root, 'nothing-here');
    expect(() => loadLibrary(where)).toThrow(InputError);
    expect(() => loadLibrary(where)).toThrow(`no library.json found at ${join(where, LIBRARY_FILE)}`);
  });
});

describe('a corrupt library.json is refused, naming the file and the field', () => {
  it('not JSON', () => {
    const file = join(root, 'broken', LIBRARY_FILE);
    saveLibrary(join(root, 'broken'), classicLibrary());
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 200));
    expect(() => loadLibrary(join(root, 'broken'))).toThrow(SchemaError);
    expect(() => loadLibrary(join(root, 'broken'))).toThrow(`${file}: not valid JSON`);
  });

  it("a tail policy 'wobbly' names the entry, the field and the allowed policies", () => {
    const json = classicJson();
    json.entries[3]!.tail = 'wobbly';
    const err = refusal(json);
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.message).toContain('lib/library.json: entries[3]');
    expect(err.message).toContain("field 'tail'");
    expect(err.message).toContain("entry 'tanh'");
    expect(err.message).toContain('tail policy must be one of linear, constant, extend (got "wobbly")');
  });

  it('an entry whose id does not match its content names entries[i].id', () => {
    const json = classicJson();
    json.entries[4]!.params['alpha'] = 2;
    const err = refusal(json) as SchemaError;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.file).toBe('lib/library.json');
    expect(err.field).toBe('entries[4].id');
    expect(err.message).toContain("(edited or corrupt entry 'sigmoid')");
  });

  it('an id swapped between two entries is caught too', () => {
    const json = classicJson();
    const [a, b] = [json.entries[0]!.id, json.entries[1]!.id];
    json.entries[0]!.id = b;
    json.entries[1]!.id = a;
    expect((refusal(json) as SchemaError).field).toBe('entries[0].id');
  });

  it('an edited file hash names the hash field', () => {
    const json = classicJson();
    json.hash = json.hash.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const err = refusal(json) as SchemaError;
    expect(err.field).toBe('hash');
    expect(err.message).toContain(classicLibrary().hash);
  });

  it('an entry removed without updating the hash', () => {
    const json = classicJson();
    json.entries.pop();
    expect((refusal(json) as SchemaError).field).toBe('hash');
  });

  it('schema-invalid top-level fields', () => {
    const wrongFormat = { ...classicJson(), format: 'liquidkan-model' };
    expect((refusal(wrongFormat) as SchemaError).field).toBe('format');
    const negative = { ...classicJson(), version: -1 };
    expect((refusal(negative) as SchemaError).field).toBe('version');
    const empty = { ...classicJson(), entries: [] };
    expect((refusal(empty) as SchemaError).field).toBe('entries');
    const extra = { ...classicJson(), owner: 'me' };
    expect((refusal(extra) as SchemaError).field).toBe('owner');
    expect((refusal([1, 2]) as SchemaError).file).toBe('lib/library.json');
  });

  it('the same entry twice', () => {
    const lib = classicLibrary();
    expect(() => makeLibrary([lib.entries[0]!, lib.entries[0]!], 1)).toThrow(/appears twice/);
    const json = classicJson();
    json.entries.push(json.entries[0]!);
    expect(refusal(json).message).toContain('entry id 868d50e353c9220a (identity) appears twice');
  });
});
