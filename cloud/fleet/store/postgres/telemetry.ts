/**
 * The telemetry store in PostgreSQL: the same tables as the SQLite store (telemetry/store.ts,
 * one per kind plus the batch ledger with each batch's sha256, and tel_conflicts), with the
 * same rules. A batch is stored by one statement: the ledger insert and the records' insert in
 * one implicit transaction, the records only when the ledger row is new. Two processes handed
 * the same batch (a redelivery after a crash, a device resending) race on the ledger's primary
 * key; the loser waits for the winner's commit and stores nothing, so duplicates are removed in
 * the database, not in a process. A second arrival whose records differ is a conflict: stored
 * under `{stream}~{first 12 hex of its digest}` and recorded in tel_conflicts, in one
 * transaction. (The tables' `install` column, from migration 1, stays '': a device names its
 * streams per install, so the stream carries it.)
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { KIND_SPECS, TELEMETRY_KINDS, type TelemetryKind } from '../../telemetry/kinds/index.js';
import {
  type BatchKey,
  type DeviceKey,
  type RecordCursor,
  type StoredRecord,
  TELEMETRY_STORE_DEFAULTS,
} from '../../telemetry/store.js';
import type { TelemetryStoreApi } from '../types.js';
import { inTransaction } from './connect.js';

const DAY_MS = 86_400_000;
const ARRAY_TYPE = { INTEGER: 'bigint[]', REAL: 'float8[]', TEXT: 'text[]' } as const;

export interface PgTelemetryStoreOptions {
  /** Rows older than this many days are deleted by prune(). @defaultValue 30 */
  readonly retentionDays?: number;
  /** Clock, ms since the epoch. @defaultValue Date.now */
  readonly now?: () => number;
}

interface RecordRow {
  fleet: string;
  device: string;
  stream: string;
  seq: number;
  idx: number;
  received_ms: number;
  t_ms: number | null;
  data: Record<string, unknown>;
}

const RECORD_COLUMNS = 'fleet, device, stream, seq, idx, received_ms, t_ms, data';

const toStored = (r: RecordRow): StoredRecord => ({
  fleet: r.fleet,
  device: r.device,
  stream: r.stream,
  seq: r.seq,
  idx: r.idx,
  receivedMs: r.received_ms,
  tMs: r.t_ms,
  record: r.data,
});

/** The one statement that stores a batch of `kind` (see the header). */
function insertSql(kind: TelemetryKind): string {
  const { table, columns } = KIND_SPECS[kind];
  const names = Object.keys(columns);
  const types = Object.values(columns).map((t) => ARRAY_TYPE[t]);
  const params = names.map((_, i) => `$${11 + i}::${types[i]}`);
  const u = names.map((_, i) => `c${i}`);
  return `WITH ledger AS (
      INSERT INTO tel_batches (kind, fleet, device, stream, seq, received_ms, records, digest)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1),
    ins AS (
      INSERT INTO ${table} (fleet, device, stream, seq, idx, received_ms, t_ms, ${names.join(', ')}, data)
      SELECT $2, $3, $4, $5, u.idx, $6, u.t, ${u.map((c) => `u.${c}`).join(', ')}, u.data
      FROM unnest($9::int[], $10::bigint[], ${params.join(', ')}, $${11 + names.length}::jsonb[])
        AS u(idx, t, ${u.join(', ')}, data)
      WHERE EXISTS (SELECT 1 FROM ledger))
    SELECT count(*)::int AS fresh FROM ledger`;
}

export class PgTelemetryStore implements TelemetryStoreApi {
  readonly retentionDays: number;
  readonly #pool: pg.Pool;
  readonly #now: () => number;
  readonly #insert = new Map<TelemetryKind, string>();

  constructor(pool: pg.Pool, options: PgTelemetryStoreOptions = {}) {
    this.#pool = pool;
    this.#now = options.now ?? Date.now;
    this.retentionDays = options.retentionDays ?? TELEMETRY_STORE_DEFAULTS.retentionDays;
    if (!(this.retentionDays > 0)) {
      throw new RangeError(`PgTelemetryStore: retentionDays must be > 0, got ${this.retentionDays}`);
    }
  }

  async insertBatch(
    kind: TelemetryKind,
    key: BatchKey,
    records: readonly Record<string, unknown>[],
  ): Promise<'stored' | 'duplicate' | 'conflict'> {
    const spec = KIND_SPECS[kind];
    let text = this.#insert.get(kind);
    if (!text) this.#insert.set(kind, (text = insertSql(kind)));
    const width = Object.keys(spec.columns).length;
    const columns: (number | string | null)[][] = Array.from({ length: width }, () => []);
    const t: (number | null)[] = [];
    const data: string[] = [];
    for (const r of records) {
      t.push(typeof r['t'] === 'number' ? Math.round(r['t']) : null);
      for (const [i, v] of spec.toRow(r).entries()) columns[i]?.push(v);
      data.push(JSON.stringify(r));
    }
    const receivedMs = this.#now();
    const digest = createHash('sha256').update(JSON.stringify(records)).digest('hex');
    const insert = async (db: pg.Pool | pg.PoolClient, stream: string): Promise<boolean> => {
      const result = await db.query<{ fresh: number }>({
        name: `lk-insert-${kind}`,
        text,
        values: [
          kind,
          key.fleet,
          key.device,
          stream,
          key.seq,
          receivedMs,
          records.length,
          digest,
          records.map((_, i) => i),
          t,
          ...columns,
          data,
        ],
      });
      return result.rows[0]?.fresh === 1;
    };
    if (await insert(this.#pool, key.stream)) return 'stored';
    const stored = await this.#pool.query<{ digest: string | null }>(
      `SELECT digest FROM tel_batches
       WHERE kind = $1 AND fleet = $2 AND device = $3 AND install = '' AND stream = $4 AND seq = $5`,
      [kind, key.fleet, key.device, key.stream, key.seq],
    );
    const was = stored.rows[0]?.digest;
    // a ledger row from before digests cannot tell; it counts as a resend
    if (!was || was === digest) return 'duplicate';
    return inTransaction(this.#pool, async (client) => {
      // 'duplicate' here: this colliding batch was stored (and counted) when it first came
      if (!(await insert(client, `${key.stream}~${digest.slice(0, 12)}`))) return 'duplicate';
      await client.query(
        `INSERT INTO tel_conflicts (kind, fleet, device, stream, seq, received_ms, digest, stored_digest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [kind, key.fleet, key.device, key.stream, key.seq, receivedMs, digest, was],
      );
      return 'conflict';
    });
  }

  async conflicts(device?: DeviceKey): Promise<number> {
    const r = device
      ? await this.#pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM tel_conflicts WHERE fleet = $1 AND device = $2',
          [device.fleet, device.device],
        )
      : await this.#pool.query<{ n: number }>('SELECT count(*)::int AS n FROM tel_conflicts');
    return r.rows[0]?.n ?? 0;
  }

  async count(kind: TelemetryKind, device?: DeviceKey): Promise<number> {
    const { table } = KIND_SPECS[kind];
    const r = device
      ? await this.#pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table} WHERE fleet = $1 AND device = $2`,
          [device.fleet, device.device],
        )
      : await this.#pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    return r.rows[0]?.n ?? 0;
  }

  async records(kind: TelemetryKind, device: DeviceKey): Promise<StoredRecord[]> {
    const r = await this.#pool.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM ${KIND_SPECS[kind].table} WHERE fleet = $1 AND device = $2
       ORDER BY received_ms, stream, seq, idx`,
      [device.fleet, device.device],
    );
    return r.rows.map(toStored);
  }

  async query(
    kind: TelemetryKind,
    device: DeviceKey,
    options: { sinceMs?: number; after?: RecordCursor; limit: number },
  ): Promise<StoredRecord[]> {
    const { table } = KIND_SPECS[kind];
    const order = 'received_ms, stream, seq, idx';
    const a = options.after;
    if (a !== undefined) {
      const r = await this.#pool.query<RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM ${table} WHERE fleet = $1 AND device = $2
         AND (received_ms, stream, seq, idx) > ($3, $4, $5, $6) ORDER BY ${order} LIMIT $7`,
        [device.fleet, device.device, a.receivedMs, a.stream, a.seq, a.idx, options.limit],
      );
      return r.rows.map(toStored);
    }
    if (options.sinceMs !== undefined) {
      const r = await this.#pool.query<RecordRow>(
        `SELECT ${RECORD_COLUMNS} FROM ${table} WHERE fleet = $1 AND device = $2 AND received_ms > $3
         ORDER BY ${order} LIMIT $4`,
        [device.fleet, device.device, options.sinceMs, options.limit],
      );
      return r.rows.map(toStored);
    }
    const r = await this.#pool.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM ${table} WHERE fleet = $1 AND device = $2
       ORDER BY received_ms DESC, stream DESC, seq DESC, idx DESC LIMIT $3`,
      [device.fleet, device.device, options.limit],
    );
    return r.rows.reverse().map(toStored);
  }

  async prune(): Promise<number> {
    const cutoff = this.#now() - this.retentionDays * DAY_MS;
    return inTransaction(this.#pool, async (client) => {
      let deleted = 0;
      for (const kind of TELEMETRY_KINDS) {
        const r = await client.query(`DELETE FROM ${KIND_SPECS[kind].table} WHERE received_ms < $1`, [
          cutoff,
        ]);
        deleted += r.rowCount ?? 0;
      }
      await client.query('DELETE FROM tel_batches WHERE received_ms < $1', [cutoff]);
      await client.query('DELETE FROM tel_conflicts WHERE received_ms < $1', [cutoff]);
      return deleted;
    });
  }

  /** The pool belongs to whoever opened it (store/postgres/index.ts); nothing to close here. */
  close(): void {}
}
