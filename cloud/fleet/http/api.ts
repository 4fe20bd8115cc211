/**
 * The fleet's HTTP API under /api: devices, telemetry, releases, rollouts and per-device status
 * for `liquidkan release status` and the dashboard. JSON everywhere; errors are {error}. Reads
 * are open; every write needs the operator (bearer token or session cookie, auth.ts), checked
 * before the body is read, so an unauthenticated upload costs the cloud nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ID_PATTERN } from '../../../shared/types/topics.js';
import type { ReleaseService } from '../releases/service.js';
import type { DeviceRegistryApi, TelemetryStoreApi } from '../store/types.js';
import { TELEMETRY_KINDS } from '../telemetry/kinds/index.js';
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

export const TELEMETRY_QUERY = Object.freeze({ defaultLimit: 1000, maxLimit: 10_000 });

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
      handle: ({ res }) =>
        sendJson(res, 200, { ok: true, brokerUrl: deps.brokerUrl, uptimeMs: now() - startedMs }),
    },
    {
      method: 'GET',
      path: /^\/api\/session$/,
      handle: ({ req, res }) => sendJson(res, 200, { operator: auth.isOperator(req) }),
    },
    {
      method: 'POST',
      path: /^\/api\/login$/,
      handle: async ({ req, res }) => {
        const { token } = await readJson(req, LoginBody);
        if (!auth.login(token, res)) throw new HttpError(401, 'wrong operator token');
        sendJson(res, 200, { operator: true });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/logout$/,
      handle: ({ req, res }) => {
        auth.logout(req, res);
        sendJson(res, 200, { operator: false });
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
        const limit = intParam(url, 'limit', 1, TELEMETRY_QUERY.maxLimit) ?? TELEMETRY_QUERY.defaultLimit;
        const records = await store.query(
          kind as (typeof TELEMETRY_KINDS)[number],
          { fleet, device },
          { limit, ...(sinceMs !== undefined ? { sinceMs } : {}) },
        );
        sendJson(res, 200, { records });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/releases$/,
      handle: ({ res }) => sendJson(res, 200, { releases: releases.listReleases() }),
    },
    {
      method: 'POST',
      path: /^\/api\/releases$/,
      write: true,
      handle: async ({ req, res }) => {
        const body = await readBody(req, BODY_LIMITS.releaseBytes);
        const { release, created } = releases.addRelease(new Uint8Array(body));
        sendJson(res, created ? 201 : 200, { release, created });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/rollouts$/,
      handle: ({ res, url }) => {
        const fleet = fleetParam(url);
        sendJson(res, 200, { rollouts: releases.listRollouts(fleet ? { fleet } : {}) });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/rollouts$/,
      write: true,
      handle: async ({ req, res }) => {
        const body = await readJson(req, RolloutBody);
        sendJson(res, 201, { rollout: releases.startRollout(body) });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`^/api/rollouts/${PARAM}$`),
      handle: ({ res, params }) => sendJson(res, 200, releases.getRollout(params[0]!)),
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/rollouts/${PARAM}/(cancel|abort)$`),
      write: true,
      handle: ({ res, params }) => {
        const [id = '', action] = params;
        const rollout = action === 'cancel' ? releases.cancelRollout(id) : releases.abortRollout(id);
        sendJson(res, 200, { rollout });
      },
    },
    {
      method: 'GET',
      path: /^\/api\/status$/,
      handle: ({ res, url }) => sendJson(res, 200, { devices: releases.status(fleetParam(url)) }),
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
