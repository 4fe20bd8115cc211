/**
 * The live feed across cloud processes: an event published in one process (a batch stored, a
 * device's facts changed) goes out as a PostgreSQL NOTIFY on one channel, and every process,
 * the publisher included, LISTENs and hands it to its own FleetEvents, which the dashboard's
 * server-sent events read. So a browser sees every device's updates whichever process it reaches.
 * Events are sent in groups, one NOTIFY per `coalesceMs` carrying every event since the last
 * (a JSON array, split where it would pass the size limit): PostgreSQL serialises the commits of
 * transactions that NOTIFY, so one NOTIFY per stored batch would cap ingest across all processes.
 * A NOTIFY payload is at most 8000 bytes: a bigger telemetry event keeps its records' scalar
 * fields (what the live charts draw) and loses their arrays (hunger samples), or, past that,
 * its records; the store has them all.
 */
import type pg from 'pg';
import type { FleetEvent, FleetEvents } from '../../events.js';
import { openClient } from './connect.js';

export const EVENTS_CHANNEL = 'lk_fleet_events';
const MAX_PAYLOAD_BYTES = 7900;

export interface EventBridge {
  /** Sends the event to every process's feed (this one's too, through LISTEN). */
  publish(event: FleetEvent): void;
  /** Listeners may be in any process, so publishers should always publish. */
  readonly size: number;
  close(): Promise<void>;
}

export function fitPayload(event: FleetEvent): string {
  const full = JSON.stringify(event);
  if (Buffer.byteLength(full) <= MAX_PAYLOAD_BYTES || event.type !== 'telemetry') return full;
  const scalars = event.records.map((r) =>
    Object.fromEntries(
      Object.entries(r).filter(([, v]) => !Array.isArray(v) && (typeof v !== 'object' || v === null)),
    ),
  );
  const slim = JSON.stringify({ ...event, records: scalars });
  return Buffer.byteLength(slim) <= MAX_PAYLOAD_BYTES ? slim : JSON.stringify({ ...event, records: [] });
}

export async function bridgeEvents(options: {
  readonly url: string;
  readonly pool: pg.Pool;
  readonly events: FleetEvents;
  readonly log?: (line: string) => void;
  /** Wait before listening again after the connection drops, in ms. @defaultValue 1000 */
  readonly retryMs?: number;
  /** Events are gathered this long before one NOTIFY sends them, in ms. @defaultValue 200 */
  readonly coalesceMs?: number;
}): Promise<EventBridge> {
  const log = options.log ?? (() => {});
  let closed = false;
  let listener: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;

  const listen = async (): Promise<void> => {
    const client = await openClient(options.url);
    client.on('notification', (n) => {
      if (n.channel !== EVENTS_CHANNEL || !n.payload) return;
      try {
        const parsed = JSON.parse(n.payload) as FleetEvent | FleetEvent[];
        for (const e of Array.isArray(parsed) ? parsed : [parsed]) options.events.publish(e);
      } catch (err) {
        log(`unreadable event on ${EVENTS_CHANNEL}: ${(err as Error).message}`);
      }
    });
    client.on('error', (err) => {
      log(`live feed connection lost (${err.message}); listening again`);
      client.end().catch(() => {});
      if (listener === client) listener = null;
      if (!closed) retry = setTimeout(() => void listen().catch(() => {}), options.retryMs ?? 1000);
    });
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    listener = client;
  };
  await listen();

  let pending: string[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = () => {
    flushTimer = null;
    const payloads: string[] = [];
    let group: string[] = [];
    let bytes = 2;
    for (const e of pending) {
      const size = Buffer.byteLength(e) + 1;
      if (group.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) {
        payloads.push(`[${group.join(',')}]`);
        group = [];
        bytes = 2;
      }
      group.push(e);
      bytes += size;
    }
    if (group.length > 0) payloads.push(`[${group.join(',')}]`);
    pending = [];
    for (const p of payloads) {
      options.pool
        .query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, p])
        .catch((err: Error) => log(`cannot send events: ${err.message}`));
    }
  };

  return {
    publish(event) {
      pending.push(fitPayload(event));
      flushTimer ??= setTimeout(flush, options.coalesceMs ?? 200);
    },
    size: 1,
    async close() {
      closed = true;
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      if (retry) clearTimeout(retry);
      await listener?.end().catch(() => {});
    },
  };
}
