/**
 * GET /api/events: the page's live feed as server-sent events.
 *
 * Each connection subscribes to the fleet event bus and coalesces what it hears into at most
 * one `update` message per `flushMs`: the device records that changed (or `reload` when too
 * many did, so a fleet of 500 reconnecting devices is one small message), when each device was
 * last heard from, the chart points of the one device the page watches (`?device=fleet/id`;
 * telemetry of the other devices is reduced to that last-heard time), and which rollouts and
 * library versions changed. A `: hb` comment every `heartbeatMs` keeps proxies from closing an
 * idle stream. A client that stops reading is dropped once its backlog passes `maxBacklogBytes`
 * (EventSource reconnects by itself), so a stalled tab cannot grow the cloud's memory.
 */
import type { ServerResponse } from 'node:http';
import { ID_PATTERN } from '../../shared/types/topics.js';
import type { DeviceRecord } from '../fleet/devices.js';
import type { FleetEvent, FleetEvents } from '../fleet/events.js';
import type { DeviceRegistryApi } from '../fleet/store/types.js';
import type { TelemetryKind } from '../fleet/telemetry/kinds/index.js';
import { type ChartPoint, chartPoint } from './chart-points.js';

export interface LiveFeedOptions {
  /** Shortest time between two `update` messages on one connection, in ms. @defaultValue 1000 */
  readonly flushMs?: number;
  /** Interval of the keep-alive comment, in ms. @defaultValue 15000 */
  readonly heartbeatMs?: number;
  /** Chart points kept per kind between two flushes (the newest win). @defaultValue 300 */
  readonly maxPointsPerKind?: number;
  /** Past this many changed devices in one flush, send `reload` instead of records. @defaultValue 200 */
  readonly maxDeviceUpdates?: number;
  /** Unsent bytes a connection may hold before it is dropped. @defaultValue 1048576 */
  readonly maxBacklogBytes?: number;
  /** Streams open at once; one more is refused (503). @defaultValue 32 */
  readonly maxStreams?: number;
  /** Clock in ms. @defaultValue Date.now */
  readonly now?: () => number;
}

export const LIVE_FEED_DEFAULTS = Object.freeze({
  flushMs: 1000,
  heartbeatMs: 15_000,
  maxPointsPerKind: 300,
  maxDeviceUpdates: 200,
  maxBacklogBytes: 1 << 20,
  maxStreams: 32,
});

/** The body of one `update` message; absent fields mean "nothing new". */
export interface LiveUpdate {
  readonly t: number;
  readonly devices?: DeviceRecord[];
  readonly reload?: true;
  readonly seen?: Record<string, number>;
  readonly telemetry?: { readonly device: string } & Partial<Record<TelemetryKind, ChartPoint[]>>;
  readonly rollouts?: string[];
  readonly library?: string;
}

export interface LiveFeedDeps {
  readonly events: FleetEvents;
  readonly registry: Pick<DeviceRegistryApi, 'getDevice'>;
}

/** `fleet/id` from the `device` query parameter, or null when absent or malformed. */
export function parseWatch(value: string | null): string | null {
  if (!value) return null;
  const [fleet, id, extra] = value.split('/');
  return extra === undefined && fleet && id && ID_PATTERN.test(fleet) && ID_PATTERN.test(id)
    ? `${fleet}/${id}`
    : null;
}

class Connection {
  readonly #devices = new Set<string>();
  readonly #seen = new Map<string, number>();
  readonly #points: Partial<Record<TelemetryKind, ChartPoint[]>> = {};
  readonly #rollouts = new Set<string>();
  #library: string | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastFlush = 0;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly res: ServerResponse,
    private readonly watch: string | null,
    private readonly deps: LiveFeedDeps,
    private readonly o: Required<LiveFeedOptions>,
    private readonly onEnd: (c: Connection) => void,
  ) {
    this.#unsubscribe = deps.events.subscribe((event) => this.#take(event));
    this.#heartbeat = setInterval(() => this.#write(': hb\n\n'), o.heartbeatMs);
    this.#heartbeat.unref();
    this.#write(`retry: 3000\nevent: hello\ndata: ${JSON.stringify({ t: o.now(), watch })}\n\n`);
  }

  #take(event: FleetEvent): void {
    try {
      const key = 'fleet' in event ? `${event.fleet}/${event.device}` : null;
      if (event.type === 'device' && key) this.#devices.add(key);
      else if (event.type === 'telemetry' && key) this.#telemetry(key, event);
      else if (event.type === 'job' || event.type === 'rollout') this.#rollouts.add(event.rolloutId);
      else if (event.type === 'library') this.#library = event.version;
      this.#schedule();
    } catch {
      // a listener must not throw (the bus would drop it); a malformed event is just skipped
    }
  }

  #telemetry(key: string, event: Extract<FleetEvent, { type: 'telemetry' }>): void {
    const now = this.o.now();
    this.#seen.set(key, now);
    if (key !== this.watch) return;
    const list = (this.#points[event.kind] ??= []);
    for (const r of event.records) list.push(chartPoint(event.kind, r, now));
    // trim in batches so a burst costs one copy, not one per record
    if (list.length > 2 * this.o.maxPointsPerKind) list.splice(0, list.length - this.o.maxPointsPerKind);
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastFlush + this.o.flushMs - this.o.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = null;
    this.#lastFlush = this.o.now();
    const update: Record<string, unknown> = { t: this.#lastFlush };
    const lookups: ReturnType<LiveFeedDeps['registry']['getDevice']>[] = [];
    if (this.#devices.size > this.o.maxDeviceUpdates) update['reload'] = true;
    else {
      for (const key of this.#devices) {
        const [fleet, id] = key.split('/') as [string, string];
        lookups.push(this.deps.registry.getDevice(fleet, id));
      }
    }
    if (this.#seen.size > 0) update['seen'] = Object.fromEntries(this.#seen);
    const kinds = Object.keys(this.#points) as TelemetryKind[];
    if (kinds.length > 0 && this.watch) {
      const telemetry: Record<string, unknown> = { device: this.watch };
      for (const kind of kinds) telemetry[kind] = this.#points[kind]!.slice(-this.o.maxPointsPerKind);
      update['telemetry'] = telemetry;
    }
    if (this.#rollouts.size > 0) update['rollouts'] = [...this.#rollouts];
    if (this.#library !== null) update['library'] = this.#library;
    this.#devices.clear();
    this.#seen.clear();
    for (const kind of kinds) delete this.#points[kind];
    this.#rollouts.clear();
    this.#library = null;
    const send = (records: readonly (DeviceRecord | null)[]) => {
      const found = records.filter((r) => r !== null);
      if (found.length > 0) update['devices'] = found;
      if (Object.keys(update).length > 1) this.#write(`event: update\ndata: ${JSON.stringify(update)}\n\n`);
    };
    // a shared (PostgreSQL) registry answers later; SQLite at once, so the update goes out now
    if (lookups.some((l) => l instanceof Promise)) void Promise.all(lookups).then(send, () => send([]));
    else send(lookups as (DeviceRecord | null)[]);
  }

  #write(text: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (this.res.writableLength > this.o.maxBacklogBytes) {
      this.res.destroy();
      return;
    }
    this.res.write(text);
  }

  /** Stops listening and timers; ends the response unless the client already closed it. */
  end(): void {
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.res.writableEnded) this.res.end();
    this.onEnd(this);
  }
}

export class LiveFeed {
  readonly #connections = new Set<Connection>();
  readonly #o: Required<LiveFeedOptions>;

  constructor(
    private readonly deps: LiveFeedDeps,
    options: LiveFeedOptions = {},
  ) {
    this.#o = { ...LIVE_FEED_DEFAULTS, now: Date.now, ...options };
  }

  /** Open streams. */
  get size(): number {
    return this.#connections.size;
  }

  get maxStreams(): number {
    return this.#o.maxStreams;
  }

  /** Opens a stream on `res`; false (nothing written) when `maxStreams` are open already. */
  open(res: ServerResponse, url: URL): boolean {
    if (this.#connections.size >= this.#o.maxStreams) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const watch = parseWatch(url.searchParams.get('device'));
    const c = new Connection(res, watch, this.deps, this.#o, (done) => this.#connections.delete(done));
    this.#connections.add(c);
    // the response's 'close' fires when the client goes away (the request's may fire earlier)
    const end = () => c.end();
    res.on('close', end);
    res.on('error', end);
    return true;
  }

  /** Ends every stream (the cloud is shutting down). */
  close(): void {
    for (const c of [...this.#connections]) c.end();
  }
}
