/**
 * Queued work in PostgreSQL (table work_queue): producers enqueue, any number of workers on any
 * machines claim with `FOR UPDATE SKIP LOCKED` (two workers never get the same job and never
 * wait on each other). A claim is a lease on the database's clock: a worker extends it while it
 * runs (heartbeat); a worker that dies stops extending, the lease runs out, and the next claim
 * takes the job again, up to `max_attempts` tries in all, after which it is failed with the reason.
 */
import type pg from 'pg';

export type WorkState = 'queued' | 'running' | 'done' | 'failed';

export interface WorkItem {
  readonly id: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly state: WorkState;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly worker: string | null;
  readonly leaseUntilMs: number | null;
  readonly result: unknown;
  readonly error: string | null;
  readonly createdMs: number;
  readonly updatedMs: number;
}

export interface WorkQueueOptions {
  /** How long a claim holds without a heartbeat, in ms. @defaultValue 30000 */
  readonly leaseMs?: number;
  /** Tries per job (a dead worker's lost try counts). @defaultValue 3 */
  readonly maxAttempts?: number;
}

export const WORK_QUEUE_DEFAULTS = Object.freeze({ leaseMs: 30_000, maxAttempts: 3 });

/** The database's clock in ms: one clock for every machine's leases. */
const NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

interface Row {
  id: number;
  kind: string;
  payload: unknown;
  state: WorkState;
  attempts: number;
  max_attempts: number;
  worker: string | null;
  lease_until_ms: number | null;
  result: unknown;
  error: string | null;
  created_ms: number;
  updated_ms: number;
}

const toItem = (r: Row): WorkItem => ({
  id: r.id,
  kind: r.kind,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  worker: r.worker,
  leaseUntilMs: r.lease_until_ms,
  result: r.result,
  error: r.error,
  createdMs: r.created_ms,
  updatedMs: r.updated_ms,
});

export class WorkQueue {
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool, options: WorkQueueOptions = {}) {
    this.#pool = pool;
    this.leaseMs = options.leaseMs ?? WORK_QUEUE_DEFAULTS.leaseMs;
    this.maxAttempts = options.maxAttempts ?? WORK_QUEUE_DEFAULTS.maxAttempts;
  }

  /** Queues a job; with `db`, on that connection (inside the caller's transaction). */
  async enqueue(
    kind: string,
    payload: unknown,
    options: { maxAttempts?: number; db?: pg.ClientBase } = {},
  ): Promise<number> {
    const r = await (options.db ?? this.#pool).query<{ id: number }>(
      `INSERT INTO work_queue (kind, payload, max_attempts, created_ms, updated_ms)
       VALUES ($1, $2, $3, ${NOW}, ${NOW}) RETURNING id`,
      [kind, JSON.stringify(payload), options.maxAttempts ?? this.maxAttempts],
    );
    return r.rows[0]!.id;
  }

  /** The oldest claimable job of `kind` (queued, or running with its lease run out), or null. */
  async claim(kind: string, worker: string): Promise<WorkItem | null> {
    // a job whose every try was lost to dead workers is failed, not taken again
    await this.#pool.query(
      `UPDATE work_queue SET state = 'failed', updated_ms = ${NOW},
         error = 'its worker stopped answering on each of ' || attempts || ' tries (last: ' || coalesce(worker, '?') || ')'
       WHERE kind = $1 AND state = 'running' AND lease_until_ms < ${NOW} AND attempts >= max_attempts`,
      [kind],
    );
    const r = await this.#pool.query<Row>(
      `UPDATE work_queue q SET state = 'running', attempts = q.attempts + 1, worker = $2,
         lease_until_ms = ${NOW} + $3, updated_ms = ${NOW}
       FROM (SELECT id FROM work_queue
             WHERE kind = $1 AND (state = 'queued' OR (state = 'running' AND lease_until_ms < ${NOW}))
               AND attempts < max_attempts
             ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) pick
       WHERE q.id = pick.id RETURNING q.*`,
      [kind, worker, this.leaseMs],
    );
    return r.rows[0] ? toItem(r.rows[0]) : null;
  }

  /** Extends the lease; false when the job is no longer this worker's (its lease ran out and was taken). */
  async heartbeat(id: number, worker: string): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE work_queue SET lease_until_ms = ${NOW} + $3, updated_ms = ${NOW}
       WHERE id = $1 AND worker = $2 AND state = 'running'`,
      [id, worker, this.leaseMs],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Records the result; false when the job is no longer this worker's. */
  async complete(id: number, worker: string, result: unknown): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE work_queue SET state = 'done', result = $3, lease_until_ms = NULL, updated_ms = ${NOW}
       WHERE id = $1 AND worker = $2 AND state = 'running'`,
      [id, worker, JSON.stringify(result)],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** A try that failed: queued again while tries remain, else failed with `error`. */
  async fail(id: number, worker: string, error: string): Promise<boolean> {
    const r = await this.#pool.query(
      `UPDATE work_queue SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
         error = $3, lease_until_ms = NULL, updated_ms = ${NOW}
       WHERE id = $1 AND worker = $2 AND state = 'running'`,
      [id, worker, error],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async get(id: number): Promise<WorkItem | null> {
    const r = await this.#pool.query<Row>('SELECT * FROM work_queue WHERE id = $1', [id]);
    return r.rows[0] ? toItem(r.rows[0]) : null;
  }

  async list(kind: string): Promise<WorkItem[]> {
    const r = await this.#pool.query<Row>('SELECT * FROM work_queue WHERE kind = $1 ORDER BY id', [kind]);
    return r.rows.map(toItem);
  }
}
