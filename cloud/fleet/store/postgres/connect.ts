/**
 * Opening the shared PostgreSQL store (`--store postgres://USER:PASSWORD@HOST:PORT/DB`): a pool
 * for queries, checked with one round trip at start so an unreachable server, a wrong password
 * or a missing database stops the process with a sentence naming which (InputError: exit 2 at
 * the CLI), never a stack trace. The password never appears in a message.
 */
import pg from 'pg';
import { InputError } from '../../../../shared/errors.js';

export interface PostgresOptions {
  /** postgres://USER:PASSWORD@HOST:PORT/DATABASE (postgresql:// too). */
  readonly url: string;
  /** Connections in this process's pool. @defaultValue 10 */
  readonly poolSize?: number;
  /** Time to wait for a connection, in ms. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
}

export const POSTGRES_DEFAULTS = Object.freeze({ poolSize: 10, connectTimeoutMs: 10_000 });

/** BIGINT (oid 20) columns hold milliseconds and sequence numbers, all below 2^53: read them as numbers. */
const INT8_OID = 20;
export const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//.test(store);
}

/** The URL with its password replaced, for messages and logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

/** A sentence for a failed connection, by PostgreSQL's SQLSTATE or the socket's error code. */
export function describeConnectError(url: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const where = redact(url);
  switch (e.code) {
    case '28P01':
    case '28000':
      return `database ${where} refused the credentials: ${e.message}`;
    case '3D000':
      return `database ${where} does not exist: ${e.message}`;
    case 'ECONNREFUSED':
      return `database ${where} is unreachable: nothing accepts connections there (ECONNREFUSED)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `database ${where} is unreachable: its host name does not resolve (${e.code})`;
    case 'ETIMEDOUT':
      return `database ${where} is unreachable: the connection timed out`;
    default:
      return `database ${where} cannot be used: ${e.message ?? String(err)}`;
  }
}

/** A pool whose first connection has succeeded; InputError (with the reason) otherwise. */
export async function openPool(options: PostgresOptions): Promise<pg.Pool> {
  if (!isPostgresUrl(options.url)) {
    throw new InputError(
      `store '${redact(options.url)}' must be a postgres://USER:PASSWORD@HOST:PORT/DB URL`,
    );
  }
  const o = { ...POSTGRES_DEFAULTS, ...options };
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    // a dead peer (a killed machine, not a killed process) is noticed by TCP keepalive
    keepAlive: true,
    types: TYPES,
  });
  // an idle client losing its server must not crash the process; the next query reports it
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new InputError(describeConnectError(o.url, err), { cause: err });
  }
  return pool;
}

/** A single connection outside the pool (LISTEN, the leader's lock), with the same checks. */
export async function openClient(
  url: string,
  connectTimeoutMs: number = POSTGRES_DEFAULTS.connectTimeoutMs,
  /** Shown in pg_stat_activity (who holds the leader's lock). */
  applicationName?: string,
): Promise<pg.Client> {
  const client = new pg.Client({
    ...(applicationName ? { application_name: applicationName } : {}),
    connectionString: url,
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
    types: TYPES,
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new InputError(describeConnectError(url, err), { cause: err });
  }
  return client;
}

/** Runs `fn` in one transaction on one pooled connection; rolled back when it throws. */
export async function inTransaction<R>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<R>): Promise<R> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
