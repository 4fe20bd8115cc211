/**
 * The live feed across cloud processes: an event published in one process (a batch stored, a
 * device's facts changed) goes out as a PostgreSQL NOTIFY on one channel, and every process,
 * the publisher included, LISTENs and hands it to its own FleetEvents, which the dashboard's
 * server-sent events read. So a browser sees every device's updates whichever process it reaches.
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
        options.events.publish(JSON.parse(n.payload) as FleetEvent);
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

  return {
    publish(event) {
      options.pool
        .query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, fitPayload(event)])
        .catch((err: Error) => log(`cannot send a ${event.type} event: ${err.message}`));
    },
    size: 1,
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await listener?.end().catch(() => {});
    },
  };
}
