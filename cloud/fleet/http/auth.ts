/**
 * Operator authentication for the HTTP API. One secret, the operator token, is written to
 * `{dataDir}/operator.token` (mode 0600) on the first start and read back after; the release
 * commands send it as `Authorization: Bearer TOKEN`. The dashboard exchanges it once at
 * `POST /api/login` for a session cookie (random id, kept in memory only, HttpOnly,
 * SameSite=Strict so another site cannot make the browser use it). Every comparison with a
 * secret is constant-time over sha256 digests, so neither length nor prefix leaks.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SchemaError } from '../../../shared/errors.js';
import { writeSecretFile } from '../devices.js';
import type { OperatorAuth } from './types.js';

export const TOKEN_FILE = 'operator.token';
export const SESSION_COOKIE = 'lk_session';

export const SESSION_DEFAULTS = Object.freeze({
  /** How long a dashboard session lasts, in ms. @defaultValue 43200000 (12 h) */
  sessionTtlMs: 12 * 3_600_000,
  /** Sessions kept at once; the oldest goes first. @defaultValue 1000 */
  maxSessions: 1000,
});

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;

export function tokenFile(dataDir: string): string {
  return join(dataDir, TOKEN_FILE);
}

/** The operator token, created (32 random bytes, base64url, mode 0600) if the file is absent. */
export function loadOrCreateToken(dataDir: string): { token: string; path: string } {
  const path = tokenFile(dataDir);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (!TOKEN_PATTERN.test(token)) {
      throw new SchemaError(
        path,
        '',
        `the operator token must be 16–256 of A-Z a-z 0-9 _ - (delete the file to make a new one)`,
      );
    }
    return { token, path };
  }
  const token = randomBytes(32).toString('base64url');
  writeSecretFile(path, `${token}\n`);
  return { token, path };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class OperatorSessions implements OperatorAuth {
  readonly #token: Buffer;
  /** Session id digest (hex) → expiry, ms. */
  readonly #sessions = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(
    token: string,
    options: { sessionTtlMs?: number; maxSessions?: number; now?: () => number } = {},
  ) {
    this.#token = digest(token);
    this.#ttlMs = options.sessionTtlMs ?? SESSION_DEFAULTS.sessionTtlMs;
    this.#max = options.maxSessions ?? SESSION_DEFAULTS.maxSessions;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `candidate` is the operator token (constant time). */
  matchesToken(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#token);
  }

  isOperator(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return this.matchesToken(auth.slice('Bearer '.length).trim());
    const id = cookieValue(req, SESSION_COOKIE);
    if (!id) return false;
    // Keyed by digest, so the lookup itself never compares the secret id byte by byte.
    const key = digest(id).toString('hex');
    const expires = this.#sessions.get(key);
    if (expires === undefined) return false;
    if (expires <= this.#now()) {
      this.#sessions.delete(key);
      return false;
    }
    return true;
  }

  /** A new session for the right token, set as a cookie on `res`; false for a wrong token. */
  login(candidate: string, res: ServerResponse): boolean {
    if (!this.matchesToken(candidate)) return false;
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(digest(id).toString('hex'), this.#now() + this.#ttlMs);
    while (this.#sessions.size > this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
    res.setHeader(
      'set-cookie',
      `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.#ttlMs / 1000)}`,
    );
    return true;
  }

  /** Ends the request's session (if any) and clears the cookie. */
  logout(req: IncomingMessage, res: ServerResponse): void {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id) this.#sessions.delete(digest(id).toString('hex'));
    res.setHeader('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
  }
}
