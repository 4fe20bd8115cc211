/**
 * The hunger loop's state in PostgreSQL (migration 4), the same interfaces as the SQLite cloud's
 * files (store/types.ts LoopStores): hunger read across devices from tel_hunger, finished cycles
 * in loop_cycles, the library versions the loop made in loop_libraries (the newest is current),
 * and loop_open_cycles, the cycles whose discovery sits in the work queue. That last table has
 * one row at most per fleet and layer and is written in the transaction that queues the job, so
 * the same hunger is queued once whichever leader asks, and a new leader finds what its
 * predecessor was waiting for. Text sorts as bytes (COLLATE "C"), as SQLite does, so the same
 * rows make the same discovery job on either backend.
 */
import type pg from 'pg';
import { type ActivationLibrary, libraryToJson, parseLibrary } from '../../../../shared/library/library.js';
import type { GroupCount, HungryRow } from '../../loop/hunger-query.js';
import type { CycleRecord } from '../../loop/types.js';
import { KIND_SPECS } from '../../telemetry/kinds/index.js';
import type { HungerQueryApi, LibraryVersionsApi, LoopHistoryApi, LoopStores } from '../types.js';
import { inTransaction } from './connect.js';

const TABLE = KIND_SPECS.hunger.table;
/** The hungry predicate (loop/hunger-query.ts): the device said so, or the gap says so. */
const HUNGRY = (gap: string) => `(hungry = 1 OR (gap IS NOT NULL AND gap > ${gap}))`;

export class PgHungerQuery implements HungerQueryApi {
  constructor(private readonly pool: pg.Pool) {}

  async groups(
    afterMs: number,
    untilMs: number,
    gap: number,
    only?: { readonly fleet: string; readonly layer: number },
  ): Promise<GroupCount[]> {
    const filter = only ? 'AND fleet = $4 AND layer = $5' : '';
    const r = await this.pool.query<GroupCount>(
      `SELECT fleet, layer, COUNT(*) AS records, COUNT(DISTINCT device) AS devices,
         MIN(received_ms) AS "firstMs", MAX(received_ms) AS "lastMs"
       FROM ${TABLE} WHERE received_ms > $1 AND received_ms <= $2 AND ${HUNGRY('$3')} ${filter}
       GROUP BY fleet, layer ORDER BY fleet COLLATE "C", layer`,
      only ? [afterMs, untilMs, gap, only.fleet, only.layer] : [afterMs, untilMs, gap],
    );
    return r.rows;
  }

  async fleetDevices(afterMs: number, untilMs: number): Promise<Map<string, number>> {
    const r = await this.pool.query<{ fleet: string; n: number }>(
      `SELECT fleet, COUNT(DISTINCT device) AS n FROM ${TABLE}
       WHERE received_ms > $1 AND received_ms <= $2 GROUP BY fleet`,
      [afterMs, untilMs],
    );
    return new Map(r.rows.map((row) => [row.fleet, row.n]));
  }

  async hungryRows(
    fleet: string,
    layer: number,
    afterMs: number,
    untilMs: number,
    gap: number,
    limit: number,
  ): Promise<HungryRow[]> {
    const r = await this.pool.query<{ device: string; received_ms: number; data: Record<string, unknown> }>(
      `SELECT device, received_ms, data FROM ${TABLE}
       WHERE fleet = $1 AND layer = $2 AND received_ms > $3 AND received_ms <= $4 AND ${HUNGRY('$5')}
       ORDER BY received_ms DESC, device COLLATE "C", stream COLLATE "C", seq, idx LIMIT $6`,
      [fleet, layer, afterMs, untilMs, gap, limit],
    );
    return r.rows.map((row) => ({ device: row.device, receivedMs: row.received_ms, record: row.data }));
  }

  close(): void {
    // the pool is the store's
  }
}

export class PgLoopHistory implements LoopHistoryApi {
  constructor(private readonly pool: pg.Pool) {}

  async read(): Promise<CycleRecord[]> {
    const r = await this.pool.query<{ record: CycleRecord }>('SELECT record FROM loop_cycles ORDER BY n');
    return r.rows.map((row) => row.record);
  }

  /** Records the cycle and closes its open row (if it had one) in one transaction. */
  async append(record: CycleRecord): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO loop_cycles (id, fleet, layer, started_ms, outcome, record)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
        [record.id, record.fleet, record.layer, record.startedMs, record.outcome, JSON.stringify(record)],
      );
      await client.query('DELETE FROM loop_open_cycles WHERE fleet = $1 AND layer = $2 AND id = $3', [
        record.fleet,
        record.layer,
        record.id,
      ]);
    });
  }
}

export class PgLibraryVersions implements LibraryVersionsApi {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<ActivationLibrary | null> {
    const r = await this.pool.query<{ version: number; library: string }>(
      'SELECT version, library FROM loop_libraries ORDER BY version DESC LIMIT 1',
    );
    const row = r.rows[0];
    return row ? parseLibrary(JSON.parse(row.library), `loop_libraries v${row.version}`) : null;
  }

  async versions(): Promise<{ version: number; current: boolean; where: string }[]> {
    const r = await this.pool.query<{ version: number }>(
      'SELECT version FROM loop_libraries ORDER BY version',
    );
    return r.rows.map((row, i) => ({
      version: row.version,
      current: i === r.rows.length - 1,
      where: `loop_libraries v${row.version}`,
    }));
  }

  async install(lib: ActivationLibrary): Promise<{ version: number; where: string }> {
    await this.pool.query(
      `INSERT INTO loop_libraries (version, hash, library, installed_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (version) DO NOTHING`,
      [lib.version, lib.hash, libraryToJson(lib), this.now()],
    );
    return { version: lib.version, where: `loop_libraries v${lib.version}` };
  }
}

/** A cycle whose discovery job is queued (loop_open_cycles). */
export interface OpenCycle {
  readonly id: string;
  readonly fleet: string;
  readonly layer: number;
  readonly workId: number;
  readonly openedMs: number;
  /** What the cycle needs to finish after its job (scale/queued-discovery.ts). */
  readonly state: unknown;
}

interface OpenRow {
  id: string;
  fleet: string;
  layer: number;
  work_id: number;
  opened_ms: number;
  state: unknown;
}

const toOpen = (r: OpenRow): OpenCycle => ({
  id: r.id,
  fleet: r.fleet,
  layer: r.layer,
  workId: r.work_id,
  openedMs: r.opened_ms,
  state: r.state,
});

export class PgOpenCycles {
  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Opens the cycle and queues its job (`enqueue`, on the same connection) in one transaction;
   * null, and nothing queued, when its fleet and layer already has an open cycle.
   */
  async open(
    cycle: { readonly id: string; readonly fleet: string; readonly layer: number; readonly state: unknown },
    enqueue: (db: pg.ClientBase) => Promise<number>,
  ): Promise<OpenCycle | null> {
    return inTransaction(this.pool, async (client) => {
      // the row first: a second leader asking at the same moment waits here, then inserts nothing
      const claimed = await client.query(
        `INSERT INTO loop_open_cycles (fleet, layer, id, work_id, opened_ms, state)
         VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (fleet, layer) DO NOTHING`,
        [cycle.fleet, cycle.layer, cycle.id, this.now(), JSON.stringify(cycle.state)],
      );
      if ((claimed.rowCount ?? 0) === 0) return null;
      const workId = await enqueue(client);
      const r = await client.query<OpenRow>(
        'UPDATE loop_open_cycles SET work_id = $3 WHERE fleet = $1 AND layer = $2 RETURNING *',
        [cycle.fleet, cycle.layer, workId],
      );
      return toOpen(r.rows[0]!);
    });
  }

  /** Every open cycle, oldest first. */
  async list(): Promise<OpenCycle[]> {
    const r = await this.pool.query<OpenRow>('SELECT * FROM loop_open_cycles ORDER BY opened_ms, id');
    return r.rows.map(toOpen);
  }
}

/** The loop's stores on one pool. */
export function pgLoopStores(pool: pg.Pool, now: () => number = Date.now): LoopStores {
  return {
    hunger: new PgHungerQuery(pool),
    history: new PgLoopHistory(pool),
    libraries: new PgLibraryVersions(pool, now),
  };
}
