/**
 * Authentication for the HTTP API. Two secrets, written on the first start (mode 0600) and read
 * back after: the operator token, `{dataDir}/operator.token`, which may read and write, and the
 * viewer token, `{dataDir}/viewer.token`, which may only read (the fleet, telemetry, the library,
 * the deployed model, the live feed). Clients send one as `Authorization: Bearer TOKEN`; the
 * dashboard exchanges it once at `POST /api/login` for a session cookie (random id, kept in
 * memory only, HttpOnly, SameSite=Strict so another site cannot make the browser use it, and
 * Secure when the request came over TLS). Every comparison with a secret is constant-time over
 * sha256 digests, so neither length nor prefix leaks.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SchemaError } from '../../../shared/errors.js';
import { writeSecretFile } from '../devices.js';
import type { OperatorAuth } from './types.js';

export const TOKEN_FILE = 'operator.token';
export const VIEWER_TOKEN_FILE = 'viewer.token';

/** What a token or session may do: the operator reads and writes, a viewer only reads. */
export type Role = 'operator' | 'viewer';
export const SESSION_COOKIE = 'lk_session';

export const SESSION_DEFAULTS = Object.freeze({
  /** How long a dashboard session lasts, in ms. @defaultValue 43200000 (12 h) */
  sessionTtlMs: 12 * 3_600_000,
  /** Sessions kept at once; the oldest goes first. @defaultValue 1000 */
  maxSessions: 1000,
});

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;

export function tokenFile(dataDir: string, file: string = TOKEN_FILE): string {
  return join(dataDir, file);
}

/**
 * A token (the operator's unless `file` names another), created (32 random bytes, base64url,
 * mode 0600) if the file is absent.
 */
export function loadOrCreateToken(
  dataDir: string,
  file: string = TOKEN_FILE,
): { token: string; path: string } {
  const path = tokenFile(dataDir, file);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (!TOKEN_PATTERN.test(token)) {
      throw new SchemaError(
        path,
        '',
        `the token must be 16–256 of A-Z a-z 0-9 _ - (delete the file to make a new one)`,
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

/** Whether the request reached us over TLS (directly, or through a proxy that says so). */
export function overTls(req: IncomingMessage): boolean {
  return (
    (req.socket as { encrypted?: boolean }).encrypted === true || req.headers['x-forwarded-proto'] === 'https'
  );
}

export class OperatorSessions implements OperatorAuth {
  readonly #token: Buffer;
  readonly #viewerToken: Buffer | null;
  /** Session id digest (hex) → expiry (ms) and role. */
  readonly #sessions = new Map<string, { expires: number; role: Role }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(
    token: string,
    options: { viewerToken?: string; sessionTtlMs?: number; maxSessions?: number; now?: () => number } = {},
  ) {
    this.#token = digest(token);
    this.#viewerToken = options.viewerToken ? digest(options.viewerToken) : null;
    this.#ttlMs = options.sessionTtlMs ?? SESSION_DEFAULTS.sessionTtlMs;
    this.#max = options.maxSessions ?? SESSION_DEFAULTS.maxSessions;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `candidate` is the operator token (constant time). */
  matchesToken(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#token);
  }

  /** The role a token grants, or null (both comparisons always run, in constant time). */
  roleOfToken(candidate: string): Role | null {
    const d = digest(candidate);
    const operator = timingSafeEqual(d, this.#token);
    const viewer = this.#viewerToken !== null && timingSafeEqual(d, this.#viewerToken);
    return operator ? 'operator' : viewer ? 'viewer' : null;
  }

  /** The role of a request's bearer token or session cookie, or null. */
  roleOf(req: IncomingMessage): Role | null {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return this.roleOfToken(auth.slice('Bearer '.length).trim());
    const id = cookieValue(req, SESSION_COOKIE);
    if (!id) return null;
    // Keyed by digest, so the lookup itself never compares the secret id byte by byte.
    const key = digest(id).toString('hex');
    const session = this.#sessions.get(key);
    if (session === undefined) return null;
    if (session.expires <= this.#now()) {
      this.#sessions.delete(key);
      return null;
    }
    return session.role;
  }

  isOperator(req: IncomingMessage): boolean {
    return this.roleOf(req) === 'operator';
  }

  canRead(req: IncomingMessage): boolean {
    return this.roleOf(req) !== null;
  }

  /**
   * A new session for a right token (operator or viewer), set as a cookie on `res`; null for a
   * wrong token. The cookie is Secure when `req` came over TLS.
   */
  login(candidate: string, res: ServerResponse, req?: IncomingMessage): Role | null {
    const role = this.roleOfToken(candidate);
    if (!role) return null;
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(digest(id).toString('hex'), { expires: this.#now() + this.#ttlMs, role });
    while (this.#sessions.size > this.#max) this.#sessions.delete(this.#sessions.keys().next().value!);
    const secure = req && overTls(req) ? '; Secure' : '';
    res.setHeader(
      'set-cookie',
      `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(this.#ttlMs / 1000)}${secure}`,
    );
    return role;
  }

  /** Ends the request's session (if any) and clears the cookie. */
  logout(req: IncomingMessage, res: ServerResponse): void {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id) this.#sessions.delete(digest(id).toString('hex'));
    const secure = overTls(req) ? '; Secure' : '';
    res.setHeader('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure}`);
  }
}
