/**
 * Read a JSON file and validate it with a zod schema, turning every failure into a SchemaError
 * that names the file and the first offending field. Schemas of either zod build (mini, as in
 * shared/, or classic) are taken through zod's core types.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/v4/core';
import { SchemaError } from '../errors.js';

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** The first issue of a failed parse as a field path ('' for the value itself) and a message. */
export function firstIssue(error: z.$ZodError): { readonly field: string; readonly message: string } {
  const issue = error.issues[0]!;
  // An unknown key sits on the object that holds it: name the key itself as the field.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  return { field: formatIssuePath(path), message: issue.message };
}

export function parseWithSchema<S extends z.$ZodType>(schema: S, value: unknown, file: string): z.output<S> {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    const { field, message } = firstIssue(result.error);
    throw new SchemaError(file, field, message);
  }
  return result.data;
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SchemaError(file, '', `cannot read the file (${(err as Error).message})`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SchemaError(file, '', `not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

export function readJsonWithSchema<S extends z.$ZodType>(schema: S, file: string): z.output<S> {
  return parseWithSchema(schema, readJsonFile(file), file);
}
