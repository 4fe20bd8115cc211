/**
 * Opening the PostgreSQL store (cloud/fleet/store/postgres): migrations versioned and applied
 * once, atomically; a newer database refused with both versions; an unreachable server or a
 * wrong password named in a sentence, never with the password in it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../../cloud/fleet/broker/mosquitto-process.js';
import { type RunningCluster, startCluster } from '../../../../cloud/fleet/store/postgres/cluster.js';
import { openPool } from '../../../../cloud/fleet/store/postgres/connect.js';
import {
  migrate,
  openPostgresStore,
  SCHEMA_VERSION,
  schemaVersion,
} from '../../../../cloud/fleet/store/postgres/index.js';
import { InputError } from '../../../../shared/errors.js';
import { TOOLS } from '../../../helpers/system-tools.js';

describe.skipIf(TOOLS.postgres())('PostgreSQL store: migrations and bad input', () => {
  let cluster: RunningCluster;
  let n = 0;
  const fresh = () => cluster.createDatabase(`mig_${n++}`);
  beforeAll(async () => {
    cluster = await startCluster({ fast: true });
  });
  afterAll(() => cluster?.stop());

  async function tables(url: string): Promise<string[]> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      );
      return r.rows.map((x) => x.t);
    } finally {
      await c.end();
    }
  }

  it('migrates a new database to the current version once, also when processes start together', async () => {
    const url = await fresh();
    const [a, b] = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url })]);
    const applied = [a.migrated, b.migrated].sort((x, y) => x.from - y.from);
    expect(applied).toEqual([
      { from: 0, to: SCHEMA_VERSION },
      { from: SCHEMA_VERSION, to: SCHEMA_VERSION },
    ]);
    await a.close();
    await b.close();
    expect(await tables(url)).toEqual(
      expect.arrayContaining(['devices', 'schema_version', 'tel_batches', 'tel_perf', 'work_queue']),
    );
  });

  it('refuses a database written by a newer version, naming both versions, and changes nothing', async () => {
    const url = await fresh();
    await (await openPostgresStore({ url })).close();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('UPDATE schema_version SET version = $1', [SCHEMA_VERSION + 5]);
    await c.end();
    const err = await openPostgresStore({ url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain(`version ${SCHEMA_VERSION + 5}`);
    expect((err as Error).message).toContain(`up to version ${SCHEMA_VERSION}`);
  });

  it('never leaves a half-applied migration: a failing step rolls back every step before it', async () => {
    const url = await fresh();
    const pool = await openPool({ url });
    try {
      const broken = [
        { version: 1, name: 'good', sql: 'CREATE TABLE first_table (x INT)' },
        { version: 2, name: 'bad', sql: 'CREATE TABLE second_table (x INT); SELECT no_such_function()' },
      ];
      await expect(migrate(pool, broken)).rejects.toThrow(/migration 2 \(bad\) failed: .*no_such_function/);
      expect(await tables(url)).toEqual([]);
      const client = await pool.connect();
      expect(await schemaVersion(client)).toBe(0);
      client.release();
    } finally {
      await pool.end();
    }
  });

  it('names a wrong password, a missing database and an unreachable server, never printing the password', async () => {
    const wrong = cluster.url.replace(cluster.password, 'not-the-password');
    const e1 = (await openPostgresStore({ url: wrong }).catch((e: unknown) => e)) as Error;
    expect(e1).toBeInstanceOf(InputError);
    expect(e1.message).toMatch(/refused the credentials: password authentication failed for user "postgres"/);
    expect(e1.message).not.toContain('not-the-password');

    const missing = cluster.url.replace(/\/postgres$/, '/nowhere');
    const e2 = (await openPostgresStore({ url: missing }).catch((e: unknown) => e)) as Error;
    expect(e2.message).toMatch(/does not exist/);

    const port = await freePort();
    const e3 = (await openPostgresStore({ url: `postgres://u:secret@127.0.0.1:${port}/db` }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(e3).toBeInstanceOf(InputError);
    expect(e3.message).toBe(
      `database postgres://u:***@127.0.0.1:${port}/db is unreachable: nothing accepts connections there (ECONNREFUSED)`,
    );
  });
});
