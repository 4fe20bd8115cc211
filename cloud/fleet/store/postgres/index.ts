/**
 * The shared PostgreSQL store (`--store postgres://…`): one pool, the schema migrated at open,
 * and the stores that read and write through it. What lives here and what does not:
 * registry, telemetry, the work queue (discovery jobs), releases, their payloads (as chunks,
 * payloads.ts says why), rollouts and jobs, and the hunger loop's state (loop.ts) are tables; the
 * leader lock is an advisory lock; the live feed crosses processes as NOTIFY.
 */
import type pg from 'pg';
import { openPool, type PostgresOptions } from './connect.js';
import { type MigrateResult, migrate } from './migrations.js';
import { PgPayloadStore } from './payloads.js';
import { PgDeviceRegistry } from './registry.js';
import { PgReleaseStore } from './releases.js';
import { PgTelemetryStore, type PgTelemetryStoreOptions } from './telemetry.js';

export interface PostgresStore {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly migrated: MigrateResult;
  readonly registry: PgDeviceRegistry;
  readonly telemetry: PgTelemetryStore;
  readonly releases: PgReleaseStore;
  readonly payloads: PgPayloadStore;
  close(): Promise<void>;
}

/** Connects, migrates (or refuses, see migrations.ts) and returns the stores; InputError when it cannot. */
export async function openPostgresStore(
  options: PostgresOptions & PgTelemetryStoreOptions,
): Promise<PostgresStore> {
  const pool = await openPool(options);
  try {
    const migrated = await migrate(pool);
    const now = options.now ? { now: options.now } : {};
    return {
      url: options.url,
      pool,
      migrated,
      registry: new PgDeviceRegistry(pool, now),
      telemetry: new PgTelemetryStore(pool, {
        ...now,
        ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
      }),
      releases: new PgReleaseStore(pool),
      payloads: new PgPayloadStore(pool),
      close: () => pool.end(),
    };
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
}

export { describeConnectError, isPostgresUrl, openClient, openPool, redact } from './connect.js';
export {
  PgHungerQuery,
  PgLibraryVersions,
  PgLoopHistory,
  PgOpenCycles,
  pgLoopStores,
} from './loop.js';
export { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js';
export { PgPayloadStore } from './payloads.js';
export { PgDeviceRegistry } from './registry.js';
export { PgReleaseStore } from './releases.js';
export { PgTelemetryStore } from './telemetry.js';
