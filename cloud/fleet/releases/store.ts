/**
 * The release service's bookkeeping: `{dataDir}/releases.db` (SQLite, WAL) with the releases
 * (id = payload sha256, the signed manifest and signature), the rollouts, each device's jobs,
 * and what `desired` holds per device (republished, retained, when the cloud starts). Payload
 * bytes live next to it (payloads.ts). Rows in, plain records out; no MQTT and no policy here
 * (rollout-writes.ts says what a stage's issue and a rollout's end write). The embedded
 * implementation of ReleaseStoreApi (cloud/fleet/store/types.ts); the shared one is
 * cloud/fleet/store/postgres/releases.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ReleaseKind, ReleaseManifest } from '../../../shared/types/release.js';
import {
  type Desired,
  type JobState,
  type ReleaseRef,
  TERMINAL_JOB_STATES,
} from '../../../shared/types/sync.js';
import type { ReleaseStoreApi } from '../store/types.js';
import { type Database, openDatabase } from '../telemetry/sqlite.js';
import { type EndedRollout, endChanges, type IssuedJob, stageJobs } from './rollout-writes.js';
import type {
  CloudJobState,
  JobCounts,
  JobRecord,
  ReleaseRecord,
  RolloutRecord,
  RolloutState,
  StoredRelease,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS releases (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, version TEXT NOT NULL, manifest TEXT NOT NULL,
  signature TEXT NOT NULL, size INTEGER NOT NULL, verified INTEGER NOT NULL, created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS releases_version ON releases (version);
CREATE TABLE IF NOT EXISTS rollouts (
  id TEXT PRIMARY KEY, release TEXT NOT NULL REFERENCES releases (id), kind TEXT NOT NULL,
  fleet TEXT NOT NULL, stages TEXT NOT NULL, abort_failure_rate REAL NOT NULL, state TEXT NOT NULL,
  stage INTEGER NOT NULL, targets TEXT NOT NULL, reason TEXT,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rollouts_state ON rollouts (state, fleet, kind);
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY, rollout TEXT NOT NULL REFERENCES rollouts (id), release TEXT NOT NULL,
  kind TEXT NOT NULL, fleet TEXT NOT NULL, device TEXT NOT NULL, stage INTEGER NOT NULL,
  state TEXT NOT NULL, progress_done INTEGER, progress_total INTEGER, reason TEXT, previous TEXT,
  issued_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, UNIQUE (rollout, device));
CREATE INDEX IF NOT EXISTS jobs_device ON jobs (fleet, device, release);
CREATE TABLE IF NOT EXISTS desired (
  fleet TEXT NOT NULL, device TEXT NOT NULL, doc TEXT NOT NULL, updated_ms INTEGER NOT NULL,
  PRIMARY KEY (fleet, device));`;

/** A releases row (SQLite keeps booleans as 0/1, PostgreSQL as booleans). */
export interface ReleaseRow {
  id: string;
  kind: string;
  version: string;
  manifest: string;
  signature: string;
  size: number;
  verified: number | boolean;
  created_ms: number;
}

export interface RolloutRow {
  id: string;
  release: string;
  kind: string;
  fleet: string;
  stages: string;
  abort_failure_rate: number;
  allow_downgrade: number | boolean | null;
  state: string;
  stage: number;
  targets: string;
  reason: string | null;
  created_ms: number;
  updated_ms: number;
  version?: string;
}

export interface JobRow {
  job_id: string;
  rollout: string;
  release: string;
  kind: string;
  fleet: string;
  device: string;
  stage: number;
  state: string;
  progress_done: number | null;
  progress_total: number | null;
  reason: string | null;
  previous: string | null;
  issued_ms: number;
  updated_ms: number;
}

/** `desired` without its timestamp, as kept per device. */
export type DesiredDoc = Omit<Desired, 'updatedAt'>;

export function toStored(r: ReleaseRow): StoredRelease {
  const manifest = JSON.parse(r.manifest) as ReleaseManifest;
  return {
    id: r.id,
    kind: r.kind as ReleaseKind,
    version: r.version,
    size: r.size,
    chunkBytes: manifest.chunkBytes,
    chunks: manifest.chunks.length,
    profiles: manifest.profiles,
    keyId: manifest.keyId,
    signatureVerified: r.verified === 1 || r.verified === true,
    createdMs: r.created_ms,
    manifest,
    signature: r.signature,
  };
}

/** The listing form: no chunk list or signature. */
export function releaseRecord(r: StoredRelease): ReleaseRecord {
  const { manifest: _m, signature: _s, ...rest } = r;
  return rest;
}

export function toRollout(r: RolloutRow): RolloutRecord {
  return {
    id: r.id,
    release: r.release,
    kind: r.kind as ReleaseKind,
    version: r.version ?? '',
    fleet: r.fleet,
    stages: JSON.parse(r.stages) as number[],
    abortFailureRate: r.abort_failure_rate,
    allowDowngrade: r.allow_downgrade === 1 || r.allow_downgrade === true,
    state: r.state as RolloutState,
    stage: r.stage,
    targets: JSON.parse(r.targets) as string[],
    reason: r.reason,
    createdMs: r.created_ms,
    updatedMs: r.updated_ms,
  };
}

export function toJob(r: JobRow): JobRecord {
  return {
    jobId: r.job_id,
    rolloutId: r.rollout,
    release: r.release,
    kind: r.kind as ReleaseKind,
    fleet: r.fleet,
    device: r.device,
    stage: r.stage,
    state: r.state as CloudJobState,
    progress:
      r.progress_done !== null && r.progress_total !== null
        ? { done: r.progress_done, total: r.progress_total }
        : null,
    reason: r.reason,
    previous: r.previous === null ? null : (JSON.parse(r.previous) as ReleaseRef | null),
    issuedMs: r.issued_ms,
    updatedMs: r.updated_ms,
  };
}

const ROLLOUT_SELECT = 'SELECT o.*, r.version FROM rollouts o JOIN releases r ON r.id = o.release';

/** Stored releases kept parsed in memory (they never change; chunk requests read them often). */
const RELEASE_CACHE_ENTRIES = 64;

export class ReleaseStore implements ReleaseStoreApi {
  readonly path: string;
  readonly #db: Database;
  readonly #releases = new Map<string, StoredRelease>();

  private constructor(path: string, db: Database) {
    this.path = path;
    this.#db = db;
  }

  static open(dataDir: string): ReleaseStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, 'releases.db');
    const db = openDatabase(path);
    db.exec(SCHEMA);
    // stores from before --allow-downgrade gain its column (their rollouts allowed none)
    const columns = db.prepare('PRAGMA table_info(rollouts)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'allow_downgrade')) {
      db.exec('ALTER TABLE rollouts ADD COLUMN allow_downgrade INTEGER NOT NULL DEFAULT 0');
    }
    return new ReleaseStore(path, db);
  }

  /** Run `fn` in one transaction (several rows change together or not at all). */
  transaction<R>(fn: () => R): R {
    return this.#db.transaction(fn)();
  }

  /** Inserts a release unless one with the same id exists; whether it was new. */
  insertRelease(
    manifest: ReleaseManifest,
    signature: string,
    verified: boolean,
    createdMs: number,
  ): { release: StoredRelease; created: boolean } {
    const r = this.#db
      .prepare(
        'INSERT OR IGNORE INTO releases (id, kind, version, manifest, signature, size, verified, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        manifest.sha256,
        manifest.kind,
        manifest.version,
        JSON.stringify(manifest),
        signature,
        manifest.size,
        verified ? 1 : 0,
        createdMs,
      );
    return { release: this.getRelease(manifest.sha256)!, created: r.changes > 0 };
  }

  getRelease(id: string): StoredRelease | null {
    const cached = this.#releases.get(id);
    if (cached) return cached;
    const row = this.#db.prepare('SELECT * FROM releases WHERE id = ?').get(id) as ReleaseRow | undefined;
    if (!row) return null;
    const release = toStored(row);
    this.#releases.set(id, release);
    if (this.#releases.size > RELEASE_CACHE_ENTRIES)
      this.#releases.delete(this.#releases.keys().next().value!);
    return release;
  }

  /** Releases whose id or version is `ref`. */
  findReleases(ref: string): StoredRelease[] {
    return (
      this.#db
        .prepare('SELECT * FROM releases WHERE id = ? OR version = ? ORDER BY created_ms')
        .all(ref, ref) as ReleaseRow[]
    ).map(toStored);
  }

  listReleases(): StoredRelease[] {
    return (this.#db.prepare('SELECT * FROM releases ORDER BY created_ms, id').all() as ReleaseRow[]).map(
      toStored,
    );
  }

  /** The most recently uploaded release of a kind. */
  latestRelease(kind: ReleaseKind): StoredRelease | null {
    const row = this.#db
      .prepare('SELECT * FROM releases WHERE kind = ? ORDER BY created_ms DESC, rowid DESC LIMIT 1')
      .get(kind) as ReleaseRow | undefined;
    return row ? toStored(row) : null;
  }

  insertRollout(r: RolloutRecord): void {
    this.#db
      .prepare(
        `INSERT INTO rollouts (id, release, kind, fleet, stages, abort_failure_rate, allow_downgrade, state, stage, targets, reason, created_ms, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.id,
        r.release,
        r.kind,
        r.fleet,
        JSON.stringify(r.stages),
        r.abortFailureRate,
        r.allowDowngrade ? 1 : 0,
        r.state,
        r.stage,
        JSON.stringify(r.targets),
        r.reason,
        r.createdMs,
        r.updatedMs,
      );
  }

  updateRollout(
    id: string,
    change: { state?: RolloutState; stage?: number; reason?: string | null },
    nowMs: number,
  ): void {
    const current = this.getRollout(id);
    if (!current) return;
    this.#db
      .prepare('UPDATE rollouts SET state = ?, stage = ?, reason = ?, updated_ms = ? WHERE id = ?')
      .run(
        change.state ?? current.state,
        change.stage ?? current.stage,
        change.reason === undefined ? current.reason : change.reason,
        nowMs,
        id,
      );
  }

  getRollout(id: string): RolloutRecord | null {
    const row = this.#db.prepare(`${ROLLOUT_SELECT} WHERE o.id = ?`).get(id) as RolloutRow | undefined;
    return row ? toRollout(row) : null;
  }

  listRollouts(filter: { fleet?: string; state?: RolloutState; kind?: ReleaseKind } = {}): RolloutRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['o.fleet', filter.fleet],
      ['o.state', filter.state],
      ['o.kind', filter.kind],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    const sql = `${ROLLOUT_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY o.created_ms, o.rowid`;
    return (this.#db.prepare(sql).all(...params) as RolloutRow[]).map(toRollout);
  }

  /**
   * Issues stage `stage` of a running rollout in one transaction: a job per device, each
   * device's `desired` pointed at the release, and the rollout's stage. Null (nothing written)
   * when the rollout is no longer running or already at that stage or later.
   */
  issueStage(
    r: RolloutRecord,
    stage: number,
    devices: readonly string[],
    release: StoredRelease,
    nowMs: number,
    newJobId: () => string,
  ): IssuedJob[] | null {
    return this.transaction(() => {
      const current = this.getRollout(r.id);
      if (current?.state !== 'running' || current.stage >= stage) return null;
      const issued = stageJobs(
        current,
        stage,
        devices,
        release,
        (device) => this.desired(r.fleet, device),
        nowMs,
        newJobId,
      );
      for (const { job, doc } of issued) {
        this.insertJob(job);
        this.setDesired(job.fleet, job.device, doc, nowMs);
      }
      this.updateRollout(r.id, { stage }, nowMs);
      return issued;
    });
  }

  /** A running rollout marked completed; false when it was not running. */
  completeRollout(id: string, nowMs: number): boolean {
    return (
      this.#db
        .prepare("UPDATE rollouts SET state = 'completed', updated_ms = ? WHERE id = ? AND state = 'running'")
        .run(nowMs, id).changes > 0
    );
  }

  /**
   * Ends a running rollout in one transaction (rollout-writes.ts endChanges); null when it was
   * no longer running (another caller ended or completed it first).
   */
  endRollout(id: string, state: 'cancelled' | 'aborted', reason: string, nowMs: number): EndedRollout | null {
    return this.transaction(() => {
      if (this.getRollout(id)?.state !== 'running') return null;
      this.updateRollout(id, { state, reason }, nowMs);
      const ended = endChanges(this.jobsOf(id), state, (fleet, device) => this.desired(fleet, device));
      for (const job of ended.cancelled) this.updateJob(job.jobId, { state: 'cancelled', reason }, nowMs);
      for (const d of ended.desired) this.setDesired(d.fleet, d.device, d.doc, nowMs);
      return ended;
    });
  }

  insertJob(j: JobRecord): void {
    this.#db
      .prepare(
        `INSERT INTO jobs (job_id, rollout, release, kind, fleet, device, stage, state, progress_done, progress_total, reason, previous, issued_ms, updated_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        j.jobId,
        j.rolloutId,
        j.release,
        j.kind,
        j.fleet,
        j.device,
        j.stage,
        j.state,
        j.progress?.done ?? null,
        j.progress?.total ?? null,
        j.reason,
        JSON.stringify(j.previous),
        j.issuedMs,
        j.updatedMs,
      );
  }

  updateJob(
    jobId: string,
    change: {
      state: CloudJobState;
      progress?: { done: number; total: number } | null;
      reason?: string | null;
    },
    nowMs: number,
  ): boolean {
    const sets = ['state = ?', 'updated_ms = ?'];
    const params: unknown[] = [change.state, nowMs];
    if (change.progress !== undefined) {
      sets.push('progress_done = ?', 'progress_total = ?');
      params.push(change.progress?.done ?? null, change.progress?.total ?? null);
    }
    if (change.reason !== undefined) {
      sets.push('reason = ?');
      params.push(change.reason);
    }
    // a finished job stays finished: a late non-terminal update (reordered) changes nothing
    const terminal = [...TERMINAL_JOB_STATES];
    const stale = TERMINAL_JOB_STATES.has(change.state as JobState)
      ? ''
      : ` AND state NOT IN (${terminal.map(() => '?').join(', ')})`;
    const r = this.#db
      .prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE job_id = ?${stale}`)
      .run(...params, jobId, ...(stale ? terminal : []));
    return r.changes > 0;
  }

  getJob(jobId: string): JobRecord | null {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  jobsOf(rolloutId: string): JobRecord[] {
    return (
      this.#db
        .prepare('SELECT * FROM jobs WHERE rollout = ? ORDER BY stage, device')
        .all(rolloutId) as JobRow[]
    ).map(toJob);
  }

  /** Every job of a fleet (or of all fleets), oldest first. */
  jobsOfFleet(fleet?: string): JobRecord[] {
    const rows = fleet
      ? this.#db.prepare('SELECT * FROM jobs WHERE fleet = ? ORDER BY issued_ms, rowid').all(fleet)
      : this.#db.prepare('SELECT * FROM jobs ORDER BY issued_ms, rowid').all();
    return (rows as JobRow[]).map(toJob);
  }

  jobCounts(rolloutId: string): JobCounts {
    const rows = this.#db
      .prepare('SELECT state, COUNT(*) AS n FROM jobs WHERE rollout = ? GROUP BY state')
      .all(rolloutId) as { state: CloudJobState; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Whether the device holds a job for this release that the cloud has not cancelled. */
  deviceHasJobFor(fleet: string, device: string, release: string): boolean {
    return (
      this.#db
        .prepare(
          "SELECT 1 FROM jobs WHERE fleet = ? AND device = ? AND release = ? AND state != 'cancelled' LIMIT 1",
        )
        .get(fleet, device, release) !== undefined
    );
  }

  desired(fleet: string, device: string): DesiredDoc {
    const row = this.#db
      .prepare('SELECT doc FROM desired WHERE fleet = ? AND device = ?')
      .get(fleet, device) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as DesiredDoc) : {};
  }

  setDesired(fleet: string, device: string, doc: DesiredDoc, nowMs: number): void {
    this.#db
      .prepare(
        'INSERT INTO desired (fleet, device, doc, updated_ms) VALUES (?, ?, ?, ?) ON CONFLICT (fleet, device) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms',
      )
      .run(fleet, device, JSON.stringify(doc), nowMs);
  }

  allDesired(): { fleet: string; device: string; doc: DesiredDoc; updatedMs: number }[] {
    return (
      this.#db.prepare('SELECT fleet, device, doc, updated_ms FROM desired').all() as {
        fleet: string;
        device: string;
        doc: string;
        updated_ms: number;
      }[]
    ).map((r) => ({
      fleet: r.fleet,
      device: r.device,
      doc: JSON.parse(r.doc) as DesiredDoc,
      updatedMs: r.updated_ms,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
