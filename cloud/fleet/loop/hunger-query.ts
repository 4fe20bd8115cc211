/**
 * Reads hunger telemetry across devices from the telemetry store's database (table tel_hunger,
 * cloud/fleet/telemetry/kinds/hunger.ts). The store answers per-device questions only, so the
 * loop keeps its own connection to the same file: WAL lets it read while ingest writes.
 * Windows are over received time (the cloud's clock), as retention is.
 */

import type { HungerQueryApi } from '../store/types.js';
import { KIND_SPECS } from '../telemetry/kinds/index.js';
import { type Database, openDatabase } from '../telemetry/sqlite.js';
import type { TelemetryStore } from '../telemetry/store.js';

/** Hungry-record counts of one fleet and layer. */
export interface GroupCount {
  readonly fleet: string;
  readonly layer: number;
  readonly records: number;
  readonly devices: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface HungryRow {
  readonly device: string;
  readonly receivedMs: number;
  readonly record: Record<string, unknown>;
}

const TABLE = KIND_SPECS.hunger.table;
/** The hungry predicate on the kind's columns: the device said so, or the gap says so. */
const HUNGRY = '(hungry = 1 OR (gap IS NOT NULL AND gap > @gap))';

export class HungerQuery implements HungerQueryApi {
  readonly #db: Database;

  constructor(store: TelemetryStore) {
    this.#db = openDatabase(store.path);
  }

  /**
   * Per fleet and layer: hungry records received in (afterMs, untilMs]; with `only`, that one
   * group (an empty list when it has none).
   */
  groups(
    afterMs: number,
    untilMs: number,
    gap: number,
    only?: { readonly fleet: string; readonly layer: number },
  ): GroupCount[] {
    const filter = only ? 'AND fleet = @fleet AND layer = @layer' : '';
    return this.#db
      .prepare(
        `SELECT fleet, layer, COUNT(*) AS records, COUNT(DISTINCT device) AS devices,
           MIN(received_ms) AS firstMs, MAX(received_ms) AS lastMs
         FROM ${TABLE} WHERE received_ms > @after AND received_ms <= @until AND ${HUNGRY} ${filter}
         GROUP BY fleet, layer ORDER BY fleet, layer`,
      )
      .all({
        after: afterMs,
        until: untilMs,
        gap,
        ...(only ? { fleet: only.fleet, layer: only.layer } : {}),
      }) as GroupCount[];
  }

  /** Per fleet: devices with any hunger telemetry received in (afterMs, untilMs]. */
  fleetDevices(afterMs: number, untilMs: number): Map<string, number> {
    const rows = this.#db
      .prepare(
        `SELECT fleet, COUNT(DISTINCT device) AS n FROM ${TABLE}
         WHERE received_ms > ? AND received_ms <= ? GROUP BY fleet`,
      )
      .all(afterMs, untilMs) as { fleet: string; n: number }[];
    return new Map(rows.map((r) => [r.fleet, r.n]));
  }

  /**
   * One group's hungry records in (afterMs, untilMs], newest first, at most `limit`; the order is
   * total (received time, device, stream, seq, index), so the same rows give the same job.
   */
  hungryRows(
    fleet: string,
    layer: number,
    afterMs: number,
    untilMs: number,
    gap: number,
    limit: number,
  ): HungryRow[] {
    const rows = this.#db
      .prepare(
        `SELECT device, received_ms, data FROM ${TABLE}
         WHERE fleet = @fleet AND layer = @layer AND received_ms > @after AND received_ms <= @until AND ${HUNGRY}
         ORDER BY received_ms DESC, device, stream, seq, idx LIMIT @limit`,
      )
      .all({ fleet, layer, after: afterMs, until: untilMs, gap, limit }) as {
      device: string;
      received_ms: number;
      data: string;
    }[];
    return rows.map((r) => ({
      device: r.device,
      receivedMs: r.received_ms,
      record: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
