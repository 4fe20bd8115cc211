/**
 * JSON in and out for the cloud's HTTP API: bounded request bodies (the size is checked before
 * anything is parsed), schema-checked JSON, and errors mapped to status codes with a body of
 * {error: "…"} that names what was wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { LiquidkanError } from '../../../shared/errors.js';
import { parseBoundedJson } from '../../../shared/io/json-depth.js';
import { firstIssue } from '../../../shared/io/json-file.js';
import { ReleaseServiceError } from '../releases/errors.js';

export const BODY_LIMITS = Object.freeze({
  /** A release file upload. @defaultValue 64 MiB */
  releaseBytes: 64 * 1024 * 1024,
  /** Every other request body. @defaultValue 64 KiB */
  jsonBytes: 64 * 1024,
});

export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // JSON is never a document: it may load nothing and be framed by no one
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    ...headers,
  });
  res.end(text);
}

/** The status and message an error becomes; anything unexpected is a 500 without details. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (err instanceof ReleaseServiceError) {
    const status = { 'not-found': 404, conflict: 409, invalid: 400 }[err.refusal];
    return { status, message: err.message };
  }
  if (err instanceof LiquidkanError) return { status: 400, message: err.message };
  return { status: 500, message: 'internal error (see the cloud log)' };
}

/** The whole body, refused with 413 as soon as it is known to exceed `limitBytes`. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooBig = () => new HttpError(413, `request body is over the limit of ${limitBytes} bytes`);
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw tooBig();
  const parts: Buffer[] = [];
  let total = 0;
  for await (const part of req) {
    const chunk = part as Buffer;
    total += chunk.length;
    if (total > limitBytes) throw tooBig();
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/** A JSON body checked against `schema`; 400 naming the first bad field. */
export async function readJson<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
  limitBytes: number = BODY_LIMITS.jsonBytes,
): Promise<z.output<S>> {
  const body = await readBody(req, limitBytes);
  let json: unknown;
  try {
    json = parseBoundedJson(body.length ? body.toString('utf8') : '{}');
  } catch (err) {
    throw new HttpError(400, `request body is not JSON (${(err as Error).message})`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const { field, message } = firstIssue(r.error);
    throw new HttpError(400, `request field '${field || '(body)'}': ${message}`);
  }
  return r.data;
}
