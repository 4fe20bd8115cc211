/**
 * The fleet's HTTP API under /api: devices, telemetry, releases, rollouts and per-device status
 * for `liquidkan release status` and the dashboard. JSON everywhere; errors are {error}. Only
 * health, session, login and logout are open; every read needs a viewer or the operator, every
 * write the operator (bearer token or session cookie, auth.ts), checked before the body is read,
 * so an unauthenticated upload costs the cloud nothing. Telemetry comes in pages (a record
 * count and a byte bound), each with the cursor of the next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ID_PATTERN } from '../../../shared/types/topics.js';
import type { ReleaseService } from '../releases/service.js';
import type { DeviceRegistryApi, TelemetryStoreApi } from '../store/types.js';
import { TELEMETRY_KINDS } from '../telemetry/kinds/index.js';
import type { RecordCursor, StoredRecord } from '../telemetry/store.js';
import type { OperatorSessions } from './auth.js';
import { BODY_LIMITS, HttpError, readBody, readJson, sendJson } from './respond.js';
import type { HttpRoute } from './types.js';

/** What the API asks of the release service. */
export type ReleaseApi = Pick<
  ReleaseService,
  | 'addRelease'
  | 'listReleases'
  | 'listRollouts'
  | 'startRollout'
  | 'getRollout'
  | 'cancelRollout'
  | 'abortRollout'
  | 'status'
>;

export interface ApiDeps {
  readonly registry: DeviceRegistryApi;
  readonly store: TelemetryStoreApi;
  readonly releases: ReleaseApi;
  readonly auth: OperatorSessions;
  /** The broker URL devices connect to, shown by /api/health. */
  readonly brokerUrl: string;
  /** Clock, ms since the epoch. @defaultValue Date.now */
  readonly now?: () => number;
}

export const TELEMETRY_QUERY = Object.freeze({
  defaultLimit: 1000,
  /** As many as the dashboard's charts hold (web/charts.js CAPACITY) and some. */
  maxLimit: 2000,
  /** A page stops after the record that takes its JSON past this size (one record at least). */
  maxPageBytes: 1024 * 1024,
});

/** `after` cursors: `receivedMs.seq.idx.stream` (the stream last: it is the only free-form part). */
const CURSOR = /^(\d{1,16})\.(\d{1,16})\.(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/;

function cursorParam(url: URL): RecordCursor | undefined {
  const raw = url.searchParams.get('after');
  if (raw === null) return undefined;
  const m = CURSOR.exec(raw);
  if (!m)
    throw new HttpError(
      400,
      `query 'after' must be a cursor from a page's 'next', got '${raw.slice(0, 80)}'`,
    );
  return { receivedMs: Number(m[1]), seq: Number(m[2]), idx: Number(m[3]), stream: m[4]! };
}

const cursorOf = (r: StoredRecord) => `${r.receivedMs}.${r.seq}.${r.idx}.${r.stream}`;

/** The leading records whose JSON stays within maxPageBytes (at least one). */
function fitBytes(records: readonly StoredRecord[]): StoredRecord[] {
  const out: StoredRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    if (out.length > 0 && bytes > TELEMETRY_QUERY.maxPageBytes) break;
    out.push(r);
    bytes += JSON.stringify(r).length;
  }
  return out;
}

interface Request {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
}

interface Route {
  readonly method: 'GET' | 'POST';
  readonly path: RegExp;
  /** Needs the operator. */
  readonly write?: boolean;
  /** Needs no login at all (everything else needs at least a viewer). */
  readonly open?: boolean;
  readonly handle: (r: Request) => Promise<void> | void;
}

const ID = '([a-z0-9-]{1,64})';
const PARAM = '([A-Za-z0-9_-]{1,64})';

const LoginBody = z.object({ token: z.string().max(1024) }).strict();
const RolloutBody = z
  .object({
    release: z.string().min(1).max(128),
    fleet: z.string().regex(ID_PATTERN),
    stages: z.array(z.number()).min(1).max(100).optional(),
    abortFailureRate: z.number().optional(),
    allowDowngrade: z.boolean().optional(),
  })
  .strict();

function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  const v = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new HttpError(400, `query '${name}' must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return v;
}

function fleetParam(url: URL): string | undefined {
  const fleet = url.searchParams.get('fleet') ?? undefined;
  if (fleet !== undefined && !ID_PATTERN.test(fleet)) {
    throw new HttpError(400, `query 'fleet' must match ${ID_PATTERN.source}`);
  }
  return fleet;
}

function routes(deps: ApiDeps): Route[] {
  const { registry, store, releases, auth } = deps;
  const now = deps.now ?? Date.now;
  const startedMs = now();
  return [
    {
      method: 'GET',
      path: /^\/api\/health$/,
      open: true,
      handle: ({ res }) =>
        sendJson(res, 200, { ok: true, brokerUrl: deps.brokerUrl, uptimeMs: now() - startedMs }),
    },
    {
      method: 'GET',
      path: /^\/api\/session$/,
      open: true,
      handle: ({ req, res }) => {
        const role = auth.roleOf(req);
        sendJson(res, 200, { operator: role === 'operator', viewer: role !== null });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/login$/,
      open: true,
      handle: async ({ req, res }) => {
        const { token } = await readJson(req, LoginBody);
        const role = auth.login(token, res, req);
        if (!role) throw new HttpError(401, 'wrong token');
        sendJson(res, 200, { operator: role === 'operator', viewer: true });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/logout$/,
      open: true,
      handle: ({ req, res }) => {
        auth.logout(req, res);
        sendJson(res, 200, { operator: false, viewer: false });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/devices$/,
      handle: async ({ res }) => sendJson(res, 200, { devices: await registry.listDevices() }),
    },
    {
      method: 'GET',
      path: new RegExp(`^/api/devices/${ID}/${ID}/telemetry$`),
      handle: async ({ res, url, params }) => {
        const [fleet = '', device = ''] = params;
        if (!(await registry.getDevice(fleet, device)))
          throw new HttpError(404, `no device ${fleet}/${device}`);
        const kind = url.searchParams.get('kind') ?? '';
        if (!(TELEMETRY_KINDS as readonly string[]).includes(kind)) {
          throw new HttpError(400, `query 'kind' must be one of ${TELEMETRY_KINDS.join(', ')}`);
        }
        const sinceMs = intParam(url, 'since', 0, Number.MAX_SAFE_INTEGER);
        const after = cursorParam(url);
        const limit = intParam(url, 'limit', 1, TELEMETRY_QUERY.maxLimit) ?? TELEMETRY_QUERY.defaultLimit;
        const found = await store.query(
          kind as (typeof TELEMETRY_KINDS)[number],
          { fleet, device },
          { limit, ...(sinceMs !== undefined ? { sinceMs } : {}), ...(after ? { after } : {}) },
        );
        if (after === undefined && sinceMs === undefined) {
          // the latest records (a chart's first draw): the newest that fit the byte bound
          sendJson(res, 200, { records: fitBytes(found.toReversed()).reverse() });
          return;
        }
        // a page ends at the record count or the byte bound, whichever comes first
        const records = fitBytes(found);
        const last = records.at(-1);
        const more = records.length < found.length || found.length === limit;
        sendJson(res, 200, { records, ...(more && last ? { next: cursorOf(last) } : {}) });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/releases$/,
      handle: async ({ res }) => sendJson(res, 200, { releases: await releases.listReleases() }),
    },
    {
      method: 'POST',
      path: /^\/api\/releases$/,
      write: true,
      handle: async ({ req, res }) => {
        const body = await readBody(req, BODY_LIMITS.releaseBytes);
        const { release, created } = await releases.addRelease(new Uint8Array(body));
        sendJson(res, created ? 201 : 200, { release, created });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/rollouts$/,
      handle: async ({ res, url }) => {
        const fleet = fleetParam(url);
        sendJson(res, 200, { rollouts: await releases.listRollouts(fleet ? { fleet } : {}) });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/rollouts$/,
      write: true,
      handle: async ({ req, res }) => {
        const body = await readJson(req, RolloutBody);
        sendJson(res, 201, { rollout: await releases.startRollout(body) });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/api/rollouts/${PARAM}$`),
      handle: async ({ res, params }) => sendJson(res, 200, await releases.getRollout(params[0]!)),
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/rollouts/${PARAM}/(cancel|abort)$`),
      write: true,
      handle: async ({ res, params }) => {
        const [id = '', action] = params;
        const rollout = await (action === 'cancel' ? releases.cancelRollout(id) : releases.abortRollout(id));
        sendJson(res, 200, { rollout });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/status$/,
      handle: async ({ res, url }) => sendJson(res, 200, { devices: await releases.status(fleetParam(url)) }),
    },
  ];
}

/** The API as one route: answers /api paths it knows, leaves everything else to later routes. */
export function createApi(deps: ApiDeps): HttpRoute {
  const table = routes(deps);
  return async (req, res, url) => {
    const matches = table
      .map((route) => ({ route, m: route.path.exec(url.pathname) }))
      .filter((x) => x.m !== null);
    if (matches.length === 0) return false;
    const hit = matches.find((x) => x.route.method === req.method);
    if (!hit) {
      const allow = [...new Set(matches.map((x) => x.route.method))].join(', ');
      sendJson(
        res,
        405,
        { error: `${req.method} is not allowed on ${url.pathname} (allowed: ${allow})` },
        { allow },
      );
      return true;
    }
    if (!hit.route.open && !hit.route.write && !deps.auth.canRead(req)) {
      sendJson(
        res,
        401,
        { error: 'a viewer or operator token is required (Authorization: Bearer TOKEN, or log in)' },
        { 'www-authenticate': 'Bearer' },
      );
      return true;
    }
    if (hit.route.write && !deps.auth.isOperator(req)) {
      sendJson(
        res,
        401,
        { error: 'operator token required (Authorization: Bearer TOKEN, or log in)' },
        { 'www-authenticate': 'Bearer', connection: 'close' },
      );
      return true;
    }
    await hit.route.handle({ req, res, url, params: hit.m!.slice(1) });
    return true;
  };
}
