/**
 * Releases, rollouts, jobs and `desired` in PostgreSQL: the same records and rules as the
 * embedded release store (cloud/fleet/releases/store.ts), shared by every cloud process. A
 * stage's issue and a rollout's end each lock the rollout's row (FOR UPDATE) and check its state
 * and stage first, so a deposed leader that has not noticed yet, or an operator's cancel on
 * another process, finds the work done and writes nothing; `jobs` is unique per (rollout,
 * device) besides. Device ids sort as bytes (COLLATE "C"), as SQLite sorts them.
 */
import type pg from 'pg';
import type { ReleaseKind, ReleaseManifest } from '../../../../shared/types/release.js';
import { type JobState, TERMINAL_JOB_STATES } from '../../../../shared/types/sync.js';
import { type EndedRollout, endChanges, type IssuedJob, stageJobs } from '../../releases/rollout-writes.js';
import {
  type DesiredDoc,
  type JobRow,
  type ReleaseRow,
  type RolloutRow,
  toJob,
  toRollout,
  toStored,
} from '../../releases/store.js';
import type {
  CloudJobState,
  JobCounts,
  JobRecord,
  RolloutRecord,
  RolloutState,
  StoredRelease,
} from '../../releases/types.js';
import type { ReleaseStoreApi } from '../types.js';
import { inTransaction } from './connect.js';

const ROLLOUT_SELECT = 'SELECT o.*, r.version FROM rollouts o JOIN releases r ON r.id = o.release';
const RELEASE_CACHE_ENTRIES = 64;

async function desiredOf(
  c: pg.ClientBase,
  fleet: string,
  devices: readonly string[],
): Promise<Map<string, DesiredDoc>> {
  const r = await c.query<{ device: string; doc: string }>(
    'SELECT device, doc FROM desired WHERE fleet = $1 AND device = ANY($2::text[]) FOR UPDATE',
    [fleet, devices],
  );
  return new Map(r.rows.map((row) => [row.device, JSON.parse(row.doc) as DesiredDoc]));
}

async function writeDesired(
  c: pg.ClientBase,
  fleet: string,
  docs: readonly { device: string; doc: DesiredDoc }[],
  nowMs: number,
): Promise<void> {
  if (docs.length === 0) return;
  await c.query(
    `INSERT INTO desired (fleet, device, doc, updated_ms)
     SELECT $1, d, doc, $2 FROM unnest($3::text[], $4::text[]) AS u(d, doc)
     ON CONFLICT (fleet, device) DO UPDATE SET doc = excluded.doc, updated_ms = excluded.updated_ms`,
    [fleet, nowMs, docs.map((d) => d.device), docs.map((d) => JSON.stringify(d.doc))],
  );
}

/** Locks a rollout's row; its state and stage, or null when there is no such rollout. */
async function lockRollout(c: pg.ClientBase, id: string): Promise<{ state: string; stage: number } | null> {
  const r = await c.query<{ state: string; stage: number }>(
    'SELECT state, stage FROM rollouts WHERE id = $1 FOR UPDATE',
    [id],
  );
  return r.rows[0] ?? null;
}

export class PgReleaseStore implements ReleaseStoreApi {
  readonly #pool: pg.Pool;
  /** Stored releases never change; chunk requests read them often. */
  readonly #releases = new Map<string, StoredRelease>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async insertRelease(
    manifest: ReleaseManifest,
    signature: string,
    verified: boolean,
    createdMs: number,
  ): Promise<{ release: StoredRelease; created: boolean }> {
    const r = await this.#pool.query(
      `INSERT INTO releases (id, kind, version, manifest, signature, size, verified, created_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
      [
        manifest.sha256,
        manifest.kind,
        manifest.version,
        JSON.stringify(manifest),
        signature,
        manifest.size,
        verified,
        createdMs,
      ],
    );
    return { release: (await this.getRelease(manifest.sha256))!, created: (r.rowCount ?? 0) > 0 };
  }

  async getRelease(id: string): Promise<StoredRelease | null> {
    const cached = this.#releases.get(id);
    if (cached) return cached;
    const row = (await this.#pool.query<ReleaseRow>('SELECT * FROM releases WHERE id = $1', [id])).rows[0];
    if (!row) return null;
    const release = toStored(row);
    this.#releases.set(id, release);
    if (this.#releases.size > RELEASE_CACHE_ENTRIES)
      this.#releases.delete(this.#releases.keys().next().value!);
    return release;
  }

  async findReleases(ref: string): Promise<StoredRelease[]> {
    const r = await this.#pool.query<ReleaseRow>(
      'SELECT * FROM releases WHERE id = $1 OR version = $1 ORDER BY created_ms, seq',
      [ref],
    );
    return r.rows.map(toStored);
  }

  async listReleases(): Promise<StoredRelease[]> {
    const r = await this.#pool.query<ReleaseRow>(
      'SELECT * FROM releases ORDER BY created_ms, id COLLATE "C"',
    );
    return r.rows.map(toStored);
  }

  async latestRelease(kind: ReleaseKind): Promise<StoredRelease | null> {
    const r = await this.#pool.query<ReleaseRow>(
      'SELECT * FROM releases WHERE kind = $1 ORDER BY created_ms DESC, seq DESC LIMIT 1',
      [kind],
    );
    return r.rows[0] ? toStored(r.rows[0]) : null;
  }

  async insertRollout(r: RolloutRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO rollouts (id, release, kind, fleet, stages, abort_failure_rate, allow_downgrade, state, stage, targets, reason, created_ms, updated_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        r.id,
        r.release,
        r.kind,
        r.fleet,
        JSON.stringify(r.stages),
        r.abortFailureRate,
        r.allowDowngrade,
        r.state,
        r.stage,
        JSON.stringify(r.targets),
        r.reason,
        r.createdMs,
        r.updatedMs,
      ],
    );
  }

  async getRollout(id: string): Promise<RolloutRecord | null> {
    const r = await this.#pool.query<RolloutRow>(`${ROLLOUT_SELECT} WHERE o.id = $1`, [id]);
    return r.rows[0] ? toRollout(r.rows[0]) : null;
  }

  async listRollouts(
    filter: { fleet?: string; state?: RolloutState; kind?: ReleaseKind } = {},
  ): Promise<RolloutRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['o.fleet', filter.fleet],
      ['o.state', filter.state],
      ['o.kind', filter.kind],
    ] as const) {
      if (value !== undefined) {
        params.push(value);
        where.push(`${column} = $${params.length}`);
      }
    }
    const sql = `${ROLLOUT_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY o.created_ms, o.seq`;
    return (await this.#pool.query<RolloutRow>(sql, params)).rows.map(toRollout);
  }

  issueStage(
    r: RolloutRecord,
    stage: number,
    devices: readonly string[],
    release: StoredRelease,
    nowMs: number,
    newJobId: () => string,
  ): Promise<IssuedJob[] | null> {
    return inTransaction(this.#pool, async (c) => {
      const current = await lockRollout(c, r.id);
      if (current?.state !== 'running' || current.stage >= stage) return null;
      const docs = await desiredOf(c, r.fleet, devices);
      const issued = stageJobs(r, stage, devices, release, (d) => docs.get(d) ?? {}, nowMs, newJobId);
      if (issued.length > 0) {
        await c.query(
          `INSERT INTO jobs (job_id, rollout, release, kind, fleet, device, stage, state, previous, issued_ms, updated_ms)
           SELECT j, $4, $5, $6, $7, d, $8, 'notified', p, $9, $9 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(j, d, p)`,
          [
            issued.map((i) => i.job.jobId),
            issued.map((i) => i.job.device),
            issued.map((i) => JSON.stringify(i.job.previous)),
            r.id,
            release.id,
            release.kind,
            r.fleet,
            stage,
            nowMs,
          ],
        );
        await writeDesired(
          c,
          r.fleet,
          issued.map((i) => ({ device: i.job.device, doc: i.doc })),
          nowMs,
        );
      }
      await c.query('UPDATE rollouts SET stage = $1, updated_ms = $2 WHERE id = $3', [stage, nowMs, r.id]);
      return issued;
    });
  }

  async completeRollout(id: string, nowMs: number): Promise<boolean> {
    const r = await this.#pool.query(
      "UPDATE rollouts SET state = 'completed', updated_ms = $1 WHERE id = $2 AND state = 'running'",
      [nowMs, id],
    );
    return (r.rowCount ?? 0) > 0;
  }

  endRollout(
    id: string,
    state: 'cancelled' | 'aborted',
    reason: string,
    nowMs: number,
  ): Promise<EndedRollout | null> {
    return inTransaction(this.#pool, async (c) => {
      if ((await lockRollout(c, id))?.state !== 'running') return null;
      await c.query('UPDATE rollouts SET state = $1, reason = $2, updated_ms = $3 WHERE id = $4', [
        state,
        reason,
        nowMs,
        id,
      ]);
      const jobs = (
        await c.query<JobRow>(
          'SELECT * FROM jobs WHERE rollout = $1 ORDER BY stage, device COLLATE "C" FOR UPDATE',
          [id],
        )
      ).rows.map(toJob);
      const fleet = jobs[0]?.fleet ?? '';
      const docs = await desiredOf(
        c,
        fleet,
        jobs.map((j) => j.device),
      );
      const ended = endChanges(jobs, state, (_fleet, device) => docs.get(device) ?? {});
      if (ended.cancelled.length > 0) {
        await c.query(
          "UPDATE jobs SET state = 'cancelled', reason = $1, updated_ms = $2 WHERE job_id = ANY($3::text[])",
          [reason, nowMs, ended.cancelled.map((j) => j.jobId)],
        );
      }
      await writeDesired(c, fleet, ended.desired, nowMs);
      return ended;
    });
  }

  async updateJob(
    jobId: string,
    change: {
      state: CloudJobState;
      progress?: { done: number; total: number } | null;
      reason?: string | null;
    },
    nowMs: number,
  ): Promise<boolean> {
    const params: unknown[] = [change.state, nowMs];
    const sets = ['state = $1', 'updated_ms = $2'];
    if (change.progress !== undefined) {
      params.push(change.progress?.done ?? null, change.progress?.total ?? null);
      sets.push(`progress_done = $${params.length - 1}`, `progress_total = $${params.length}`);
    }
    if (change.reason !== undefined) {
      params.push(change.reason);
      sets.push(`reason = $${params.length}`);
    }
    params.push(jobId);
    let where = `job_id = $${params.length}`;
    // a finished job stays finished: a late non-terminal update (two processes of the shared
    // group can take one device's updates out of order) changes nothing
    if (!TERMINAL_JOB_STATES.has(change.state as JobState)) {
      params.push([...TERMINAL_JOB_STATES]);
      where += ` AND state <> ALL($${params.length}::text[])`;
    }
    const r = await this.#pool.query(`UPDATE jobs SET ${sets.join(', ')} WHERE ${where}`, params);
    return (r.rowCount ?? 0) > 0;
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    const r = await this.#pool.query<JobRow>('SELECT * FROM jobs WHERE job_id = $1', [jobId]);
    return r.rows[0] ? toJob(r.rows[0]) : null;
  }

  async jobsOf(rolloutId: string): Promise<JobRecord[]> {
    const r = await this.#pool.query<JobRow>(
      'SELECT * FROM jobs WHERE rollout = $1 ORDER BY stage, device COLLATE "C"',
      [rolloutId],
    );
    return r.rows.map(toJob);
  }

  async jobsOfFleet(fleet?: string): Promise<JobRecord[]> {
    const r = fleet
      ? await this.#pool.query<JobRow>('SELECT * FROM jobs WHERE fleet = $1 ORDER BY issued_ms, seq', [fleet])
      : await this.#pool.query<JobRow>('SELECT * FROM jobs ORDER BY issued_ms, seq');
    return r.rows.map(toJob);
  }

  async jobCounts(rolloutId: string): Promise<JobCounts> {
    const r = await this.#pool.query<{ state: CloudJobState; n: number }>(
      'SELECT state, count(*)::int AS n FROM jobs WHERE rollout = $1 GROUP BY state',
      [rolloutId],
    );
    return Object.fromEntries(r.rows.map((row) => [row.state, row.n]));
  }

  async deviceHasJobFor(fleet: string, device: string, release: string): Promise<boolean> {
    const r = await this.#pool.query(
      "SELECT 1 FROM jobs WHERE fleet = $1 AND device = $2 AND release = $3 AND state != 'cancelled' LIMIT 1",
      [fleet, device, release],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async allDesired(): Promise<{ fleet: string; device: string; doc: DesiredDoc; updatedMs: number }[]> {
    const r = await this.#pool.query<{ fleet: string; device: string; doc: string; updated_ms: number }>(
      'SELECT fleet, device, doc, updated_ms FROM desired',
    );
    return r.rows.map((row) => ({
      fleet: row.fleet,
      device: row.device,
      doc: JSON.parse(row.doc) as DesiredDoc,
      updatedMs: row.updated_ms,
    }));
  }

  /** The pool is the PostgresStore's; it closes it. */
  close(): void {}
}
