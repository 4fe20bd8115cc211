/** JSON files checked by a schema: every failure is a SchemaError naming the file and the field. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SchemaError } from '../../../shared/errors.js';
import { formatIssuePath, parseWithSchema, readJsonWithSchema } from '../../../shared/io/json-file.js';

const dir = mkdtempSync(join(tmpdir(), 'liquidkan-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const Schema = z
  .object({ name: z.string(), layers: z.array(z.object({ units: z.number().int().positive() }).strict()) })
  .strict();

function schemaError(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaError);
    return err as SchemaError;
  }
  throw new Error('expected a SchemaError');
}

describe('JSON files with a schema', () => {
  it('formats issue paths the way people write them', () => {
    expect(formatIssuePath(['layers', 0, 'units'])).toBe('layers[0].units');
    expect(formatIssuePath([2, 'a'])).toBe('[2].a');
    expect(formatIssuePath([])).toBe('');
  });

  it('a value that breaks the schema names the file and the nested field', () => {
    const err = schemaError(() =>
      parseWithSchema(Schema, { name: 'm', layers: [{ units: 2 }, { units: -1 }] }, 'm.json'),
    );
    expect(err.file).toBe('m.json');
    expect(err.field).toBe('layers[1].units');
    expect(err.message).toMatch(/^m\.json: field 'layers\[1\]\.units': /);
  });

  it('an unknown key is named as the field, at the top and nested', () => {
    const top = schemaError(() =>
      parseWithSchema(Schema, { name: 'm', layers: [], colour: 'red' }, 'm.json'),
    );
    expect(top.field).toBe('colour');
    const nested = schemaError(() =>
      parseWithSchema(Schema, { name: 'm', layers: [{ units: 1, bias: 0 }] }, 'm.json'),
    );
    expect(nested.field).toBe('layers[0].bias');
  });

  it('a file that is missing or not JSON names the file', () => {
    const missing = join(dir, 'absent.json');
    expect(schemaError(() => readJsonWithSchema(Schema, missing)).message).toContain(
      `${missing}: cannot read the file`,
    );
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"name": ');
    expect(schemaError(() => readJsonWithSchema(Schema, broken)).message).toContain(
      `${broken}: not valid JSON`,
    );
  });

  it('a valid file comes back parsed', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ name: 'm', layers: [{ units: 3 }] }));
    expect(readJsonWithSchema(Schema, good)).toEqual({ name: 'm', layers: [{ units: 3 }] });
  });
});
