/**
 * The PostgreSQL schema as numbered migrations, applied at start. Each migration is plain SQL,
 * frozen once released: a later change is a new number, never an edit. `schema_version` holds
 * the number applied. Applying takes a transaction-scoped advisory lock, so processes starting
 * together apply each migration once, and all pending migrations plus the version bump commit
 * together: a failure leaves the database exactly as it was. A database whose version is newer
 * than this build knows is refused with both numbers (an older process must not write a schema
 * it does not understand).
 */
import type pg from 'pg';
import { InputError } from '../../../../shared/errors.js';
import { inTransaction } from './connect.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Arbitrary, fixed: the advisory lock key that serialises migrations across processes. */
const MIGRATION_LOCK = 0x6c6b_0001;

const TELEMETRY_COMMON = `fleet TEXT NOT NULL, device TEXT NOT NULL, install TEXT NOT NULL DEFAULT '',
  stream TEXT NOT NULL, seq BIGINT NOT NULL, idx INTEGER NOT NULL, received_ms BIGINT NOT NULL, t_ms BIGINT`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'registry, telemetry, work queue',
    sql: `
CREATE TABLE devices (
  fleet TEXT NOT NULL, id TEXT NOT NULL, username TEXT NOT NULL UNIQUE, pass_hash TEXT NOT NULL,
  created_ms BIGINT NOT NULL, state TEXT NOT NULL DEFAULT 'unknown', last_seen_ms BIGINT,
  library_version TEXT, model_version TEXT, runtime TEXT, profile TEXT, boot INTEGER,
  birth_json TEXT, reported_json TEXT,
  PRIMARY KEY (fleet, id));

-- the batch ledger: one row per stored batch; its key is the dedup key
CREATE TABLE tel_batches (
  kind TEXT NOT NULL, fleet TEXT NOT NULL, device TEXT NOT NULL, install TEXT NOT NULL DEFAULT '',
  stream TEXT NOT NULL, seq BIGINT NOT NULL, received_ms BIGINT NOT NULL, records INTEGER NOT NULL,
  PRIMARY KEY (fleet, device, install, stream, seq, kind));
CREATE INDEX tel_batches_received ON tel_batches (received_ms);

CREATE TABLE tel_perf (${TELEMETRY_COMMON},
  p50_us DOUBLE PRECISION, p99_us DOUBLE PRECISION, steps BIGINT, engine TEXT, data JSONB NOT NULL,
  PRIMARY KEY (fleet, device, install, stream, seq, idx));
CREATE INDEX tel_perf_device ON tel_perf (fleet, device, received_ms);
CREATE INDEX tel_perf_received ON tel_perf (received_ms);

CREATE TABLE tel_hunger (${TELEMETRY_COMMON},
  layer BIGINT, entropy DOUBLE PRECISION, gap DOUBLE PRECISION, hungry BIGINT, data JSONB NOT NULL,
  PRIMARY KEY (fleet, device, install, stream, seq, idx));
CREATE INDEX tel_hunger_device ON tel_hunger (fleet, device, received_ms);
CREATE INDEX tel_hunger_received ON tel_hunger (received_ms);

CREATE TABLE tel_drift (${TELEMETRY_COMMON},
  step BIGINT, detector TEXT, statistic DOUBLE PRECISION, threshold DOUBLE PRECISION, data JSONB NOT NULL,
  PRIMARY KEY (fleet, device, install, stream, seq, idx));
CREATE INDEX tel_drift_device ON tel_drift (fleet, device, received_ms);
CREATE INDEX tel_drift_received ON tel_drift (received_ms);

-- queued work (discovery jobs): claimed with FOR UPDATE SKIP LOCKED under a lease
CREATE TABLE work_queue (
  id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, payload JSONB NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
  worker TEXT, lease_until_ms BIGINT, result JSONB, error TEXT,
  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);
CREATE INDEX work_queue_ready ON work_queue (kind, state, id);
`,
  },
  {
    version: 2,
    name: 'detections, batch digests, conflicts',
    sql: `
CREATE TABLE tel_detection (${TELEMETRY_COMMON},
  word TEXT, audio_s DOUBLE PRECISION, confidence DOUBLE PRECISION, data JSONB NOT NULL,
  PRIMARY KEY (fleet, device, install, stream, seq, idx));
CREATE INDEX tel_detection_device ON tel_detection (fleet, device, received_ms);
CREATE INDEX tel_detection_received ON tel_detection (received_ms);

-- a sha256 of each batch's records: a second arrival that differs is a conflict, not a resend
ALTER TABLE tel_batches ADD COLUMN digest TEXT;

-- batches that reused a stored (stream, seq) with other records (telemetry/store.ts's header)
CREATE TABLE tel_conflicts (
  kind TEXT NOT NULL, fleet TEXT NOT NULL, device TEXT NOT NULL, stream TEXT NOT NULL,
  seq BIGINT NOT NULL, received_ms BIGINT NOT NULL, digest TEXT NOT NULL, stored_digest TEXT);
CREATE INDEX tel_conflicts_device ON tel_conflicts (fleet, device);
CREATE INDEX tel_conflicts_received ON tel_conflicts (received_ms);
`,
  },
  {
    version: 3,
    name: 'releases, payload chunks, rollouts, jobs, desired',
    sql: `
-- releases: id is the payload's sha256; the manifest is kept as the exact JSON text it was signed as
CREATE TABLE releases (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, version TEXT NOT NULL, manifest TEXT NOT NULL,
  signature TEXT NOT NULL, size BIGINT NOT NULL, verified BOOLEAN NOT NULL, created_ms BIGINT NOT NULL,
  seq BIGSERIAL NOT NULL);
CREATE INDEX releases_version ON releases (version);
CREATE INDEX releases_kind ON releases (kind, created_ms);

-- payloads cut in the manifest's chunks, so any process answers a chunk request with one row
CREATE TABLE release_chunks (
  release TEXT NOT NULL, idx INTEGER NOT NULL, data BYTEA NOT NULL,
  PRIMARY KEY (release, idx));

CREATE TABLE rollouts (
  id TEXT PRIMARY KEY, release TEXT NOT NULL REFERENCES releases (id), kind TEXT NOT NULL,
  fleet TEXT NOT NULL, stages TEXT NOT NULL, abort_failure_rate DOUBLE PRECISION NOT NULL,
  allow_downgrade BOOLEAN NOT NULL DEFAULT FALSE, state TEXT NOT NULL, stage INTEGER NOT NULL,
  targets TEXT NOT NULL, reason TEXT, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
  seq BIGSERIAL NOT NULL);
CREATE INDEX rollouts_state ON rollouts (state, fleet, kind);

-- one job per (rollout, device), ever: a stage issued twice cannot give a device a second job
CREATE TABLE jobs (
  job_id TEXT PRIMARY KEY, rollout TEXT NOT NULL REFERENCES rollouts (id), release TEXT NOT NULL,
  kind TEXT NOT NULL, fleet TEXT NOT NULL, device TEXT NOT NULL, stage INTEGER NOT NULL,
  state TEXT NOT NULL, progress_done INTEGER, progress_total INTEGER, reason TEXT, previous TEXT,
  issued_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, seq BIGSERIAL NOT NULL,
  UNIQUE (rollout, device));
CREATE INDEX jobs_device ON jobs (fleet, device, release);
CREATE INDEX jobs_issued ON jobs (fleet, issued_ms, seq);

CREATE TABLE desired (
  fleet TEXT NOT NULL, device TEXT NOT NULL, doc TEXT NOT NULL, updated_ms BIGINT NOT NULL,
  PRIMARY KEY (fleet, device));
`,
  },
  {
    version: 4,
    name: 'the hunger loop: cycles, library versions, cycles waiting on queued discovery',
    sql: `
-- every finished cycle (loop/types.ts CycleRecord), in the order they finished
CREATE TABLE loop_cycles (
  n BIGSERIAL PRIMARY KEY, id TEXT NOT NULL UNIQUE, fleet TEXT NOT NULL, layer INTEGER NOT NULL,
  started_ms BIGINT NOT NULL, outcome TEXT NOT NULL, record JSONB NOT NULL);

-- the library versions the loop made; the newest is current. library.json's text as written
CREATE TABLE loop_libraries (
  version INTEGER PRIMARY KEY, hash TEXT NOT NULL, library TEXT NOT NULL, installed_ms BIGINT NOT NULL);

-- a cycle whose discovery job is queued: at most one per fleet and layer, so the same hunger is
-- never queued twice, whichever leader asks; deleted when the cycle's record is written
CREATE TABLE loop_open_cycles (
  fleet TEXT NOT NULL, layer INTEGER NOT NULL, id TEXT NOT NULL,
  work_id BIGINT REFERENCES work_queue (id), opened_ms BIGINT NOT NULL, state JSONB NOT NULL,
  PRIMARY KEY (fleet, layer));
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/** The version the database holds (0 when it has no schema_version table yet). */
export async function schemaVersion(client: pg.ClientBase): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_version') AS t");
  if (!exists.rows[0]?.t) return 0;
  const r = await client.query<{ version: number }>('SELECT version FROM schema_version');
  return r.rows[0]?.version ?? 0;
}

export interface MigrateResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings the database to `SCHEMA_VERSION` in one transaction. Refuses (InputError) a database
 * written by a newer version; a migration that fails rolls everything back and is rethrown
 * with the migration named.
 */
export async function migrate(
  pool: pg.Pool,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  const latest = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    const from = await schemaVersion(client);
    if (from > latest) {
      throw new InputError(
        `database schema is version ${from}, written by a newer liquidkan; this one knows up to version ${latest}: upgrade liquidkan`,
      );
    }
    if (from === 0) {
      await client.query(
        'CREATE TABLE schema_version (version INTEGER NOT NULL, updated_ms BIGINT NOT NULL)',
      );
      await client.query('INSERT INTO schema_version VALUES (0, 0)');
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= from) continue;
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
    await client.query('UPDATE schema_version SET version = $1, updated_ms = $2', [latest, Date.now()]);
    return { from, to: latest };
  });
}
