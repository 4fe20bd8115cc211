/**
 * STAND-IN FOR THE CLOUD SERVER, for the dashboard tests only.
 *
 * The real server (cloud/fleet/http, cloud/fleet/service.ts) is being written at the same time;
 * until the integration pass replaces this file with it, the dashboard tests mount
 * createDashboard behind this minimal copy of the fleet JSON API the page calls:
 *   POST /api/login {token} (HttpOnly session cookie), POST /api/logout, GET /api/session,
 *   GET /api/devices, GET /api/devices/:fleet/:id/telemetry?kind&since&limit,
 *   GET /api/releases, GET /api/rollouts, GET /api/rollouts/:id,
 *   POST /api/rollouts/:id/cancel|abort (401 without a login).
 * Everything behind it is real: the device registry and the telemetry store (SQLite files in a
 * temp dir) and the fleet event bus. Rollouts and releases are plain rows the test sets.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboard, type Dashboard, type DashboardOptions } from '../../../cloud/dashboard/index.js';
import { DeviceRegistry } from '../../../cloud/fleet/devices.js';
import { FleetEvents } from '../../../cloud/fleet/events.js';
import type { OperatorAuth } from '../../../cloud/fleet/http/types.js';
import type { ReleaseRecord, RolloutSummary } from '../../../cloud/fleet/releases/types.js';
import { TELEMETRY_KINDS, type TelemetryKind } from '../../../cloud/fleet/telemetry/kinds/index.js';
import { openDatabase } from '../../../cloud/fleet/telemetry/sqlite.js';
import { TelemetryStore } from '../../../cloud/fleet/telemetry/store.js';

export interface StandInOptions {
  /** What deps.libraryDir() returns. @defaultValue () => null */
  libraryDir?: () => string | null;
  /** What deps.modelBundleDir() returns. @defaultValue () => null */
  bundleDir?: () => string | null;
  dashboard?: DashboardOptions;
  /** Clock of the registry and the store (last seen, received times). @defaultValue Date.now */
  now?: () => number;
}

export interface StandIn {
  readonly url: string;
  readonly dir: string;
  readonly token: string;
  readonly registry: DeviceRegistry;
  readonly store: TelemetryStore;
  readonly events: FleetEvents;
  readonly dashboard: Dashboard;
  /** What GET /api/rollouts lists (the real API's RolloutSummary shape); tests push rows. */
  readonly rollouts: RolloutSummary[];
  /** What GET /api/releases lists (ReleaseRecord). */
  readonly releases: ReleaseRecord[];
  /** Requests answered, by "METHOD path" (to check what the page asked for). */
  readonly requests: string[];
  /** Stores a telemetry batch and publishes it, as the ingest does. */
  telemetry(kind: TelemetryKind, fleet: string, device: string, records: Record<string, unknown>[]): void;
  close(): Promise<void>;
}

const SESSION_COOKIE = 'lk_session';

/** A JSON response body, typed by the caller (the route's own exported type). */
export async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

/**
 * Provisions n devices without n scrypt hashes (about 50 ms each): rows go straight into the
 * registry's table with a password hash no password matches. The dashboard only reads them.
 */
export function provisionMany(dir: string, fleet: string, n: number): string[] {
  const db = openDatabase(join(dir, 'devices.db'));
  const ids = Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(4, '0')}`);
  const insert = db.prepare(
    'INSERT INTO devices (fleet, id, username, pass_hash, created_ms) VALUES (?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const id of ids) insert.run(fleet, id, `${fleet}.${id}`, 'scrypt$16384$8$1$AA==$AA==', Date.now());
  })();
  db.close();
  return ids;
}

function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k) out[k] = v.join('=');
  }
  return out;
}

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-dashboard-'));
  const now = options.now ?? Date.now;
  const registry = DeviceRegistry.open(dir, { now });
  const store = TelemetryStore.open({ dataDir: dir, retentionIntervalMs: 0, now });
  const events = new FleetEvents();
  const token = randomBytes(16).toString('hex');
  const sessions = new Set<string>();
  const auth: OperatorAuth = {
    isOperator: (req) => sessions.has(cookies(req)[SESSION_COOKIE] ?? ''),
  };
  const dashboard = createDashboard(
    {
      dataDir: dir,
      registry,
      store,
      events,
      auth,
      libraryDir: options.libraryDir ?? (() => null),
      modelBundleDir: options.bundleDir ?? (() => null),
    },
    options.dashboard,
  );
  const rollouts: RolloutSummary[] = [];
  const releases: ReleaseRecord[] = [];
  const requests: string[] = [];

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/api/login') {
      const { token: given } = (await body(req)) as { token?: string };
      if (given !== token) {
        json(res, 401, { error: 'wrong token' });
        return true;
      }
      const sid = randomBytes(16).toString('hex');
      sessions.add(sid);
      json(
        res,
        200,
        { operator: true },
        { 'set-cookie': `${SESSION_COOKIE}=${sid}; HttpOnly; SameSite=Strict; Path=/` },
      );
      return true;
    }
    if (method === 'POST' && path === '/api/logout') {
      sessions.delete(cookies(req)[SESSION_COOKIE] ?? '');
      json(res, 200, { operator: false }, { 'set-cookie': `${SESSION_COOKIE}=; Max-Age=0; Path=/` });
      return true;
    }
    if (method === 'GET' && path === '/api/session') {
      json(res, 200, { operator: auth.isOperator(req) });
      return true;
    }
    if (method === 'GET' && path === '/api/devices') {
      json(res, 200, { devices: registry.listDevices() });
      return true;
    }
    const tel = /^\/api\/devices\/([a-z0-9-]+)\/([a-z0-9-]+)\/telemetry$/.exec(path);
    if (method === 'GET' && tel) {
      const kind = url.searchParams.get('kind') as TelemetryKind;
      if (!TELEMETRY_KINDS.includes(kind)) {
        json(res, 400, { error: 'kind must be hunger, perf or drift' });
        return true;
      }
      const since = url.searchParams.get('since');
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      // as the real API: with `since`, the first `limit` received after it; else the newest `limit`
      const all = store.records(kind, { fleet: tel[1]!, device: tel[2]! });
      const records =
        since === null ? all.slice(-limit) : all.filter((r) => r.receivedMs > Number(since)).slice(0, limit);
      json(res, 200, { records });
      return true;
    }
    if (method === 'GET' && path === '/api/releases') {
      json(res, 200, { releases });
      return true;
    }
    if (method === 'GET' && path === '/api/rollouts') {
      json(res, 200, { rollouts });
      return true;
    }
    const one = /^\/api\/rollouts\/([A-Za-z0-9_-]+)(?:\/(cancel|abort))?$/.exec(path);
    if (one) {
      const rollout = rollouts.find((r) => r.id === one[1]);
      if (!rollout) {
        json(res, 404, { error: 'no such rollout' });
        return true;
      }
      if (method === 'GET' && !one[2]) {
        json(res, 200, rollout);
        return true;
      }
      if (method === 'POST' && one[2]) {
        if (!auth.isOperator(req)) {
          json(res, 401, { error: 'operator login required' });
          return true;
        }
        const state = one[2] === 'cancel' ? 'cancelled' : 'aborted';
        rollouts[rollouts.indexOf(rollout)] = { ...rollout, state, reason: `${one[2]} by the operator` };
        events.publish({ type: 'rollout', rolloutId: rollout.id, state });
        json(res, 200, { rollout: rollouts.find((r) => r.id === rollout.id) });
        return true;
      }
    }
    return false;
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    void (async () => {
      try {
        if (await api(req, res, url)) return;
        if (await dashboard(req, res, url)) return;
        json(res, 404, { error: 'not found' });
      } catch (err) {
        if (!res.headersSent) json(res, 500, { error: (err as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    token,
    registry,
    store,
    events,
    dashboard,
    rollouts,
    releases,
    requests,
    telemetry(kind, fleet, device, records) {
      const seq = store.count(kind, { fleet, device });
      store.insertBatch(kind, { fleet, device, stream: 'main', seq }, records);
      events.publish({ type: 'telemetry', kind, fleet, device, records });
    },
    async close() {
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
