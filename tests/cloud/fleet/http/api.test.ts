/**
 * The cloud's HTTP API (cloud/fleet/http) on a real cloud (startCloud: embedded broker on port
 * 0, SQLite, HTTP on port 0): reads need the viewer or operator token (issue 16 item 3: the
 * deployed model, telemetry and the fleet were open), writes need the operator token or a
 * session cookie and change nothing without it, uploads are verified, rollouts are created, listed,
 * cancelled and aborted, bodies are bounded, and telemetry is queried per device.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../../cloud/fleet/devices.js';
import type {
  DeviceStatus,
  JobRecord,
  ReleaseRecord,
  RolloutSummary,
} from '../../../../cloud/fleet/releases/types.js';
import { type CloudHandle, startCloud } from '../../../../cloud/fleet/service.js';
import type { StoredRecord } from '../../../../cloud/fleet/telemetry/store.js';
import { createRelease } from '../../../../shared/release/create.js';
import { generateKeys } from '../../../../shared/release/keys.js';
import { encodeReleaseFile } from '../../../../shared/release/release-file.js';
import { tempDir } from '../../../cli/cli-harness.js';
import { waitFor } from '../helpers.js';
import { KEYS, libraryRelease } from '../releases/helpers.js';

let cloud: CloudHandle;
let token: string;
let viewer: string;
let dir: string;
const logs: string[] = [];
const release = libraryRelease(3);
const sha = release.envelope.manifest.sha256;

beforeAll(async () => {
  dir = tempDir('cloud-api');
  const pub = join(dir, 'release.pub');
  writeFileSync(pub, KEYS.publicKey);
  cloud = await startCloud({
    dataDir: join(dir, 'data'),
    mqttPort: 0,
    httpPort: 0,
    host: '127.0.0.1',
    trustedKeys: [pub],
    log: (l) => logs.push(l),
  });
  token = readFileSync(cloud.tokenFile, 'utf8').trim();
  viewer = readFileSync(cloud.viewerTokenFile, 'utf8').trim();
  cloud.registry.addDevice({ fleet: 'api', id: 'dev-a' });
  cloud.registry.addDevice({ fleet: 'api', id: 'dev-b' });
});
afterAll(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Call {
  method?: string;
  body?: unknown;
  /** Bearer token; the viewer's when absent (reads need a login), none when false. */
  auth?: string | false;
  cookie?: string;
  raw?: Uint8Array;
  headers?: Record<string, string>;
}

/** Every field the tests read from an answer (each answer has some of them). */
interface Body {
  error: string;
  ok: boolean;
  brokerUrl: string;
  operator: boolean;
  viewer: boolean;
  next: string;
  created: boolean;
  devices: (DeviceStatus & DeviceRecord)[];
  releases: ReleaseRecord[];
  release: ReleaseRecord;
  rollouts: RolloutSummary[];
  rollout: RolloutSummary;
  jobs: JobRecord[];
  records: StoredRecord[];
}

async function api(path: string, call: Call = {}): Promise<{ status: number; json: Body; headers: Headers }> {
  const headers: Record<string, string> = { ...call.headers };
  const bearer = call.auth === undefined ? (call.cookie ? false : viewer) : call.auth;
  if (bearer !== false) headers['authorization'] = `Bearer ${bearer}`;
  if (call.cookie) headers['cookie'] = call.cookie;
  const init: RequestInit = { method: call.method ?? (call.body || call.raw ? 'POST' : 'GET'), headers };
  if (call.raw) init.body = call.raw;
  else if (call.body !== undefined)
    init.body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
  const res = await fetch(`${cloud.httpUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Body, headers: res.headers };
}

describe('cloud HTTP API', () => {
  it('answers health and session without a token, and the device list to a viewer', async () => {
    const health = await api('/api/health', { auth: false });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ ok: true, brokerUrl: cloud.brokerUrl });
    expect((await api('/api/session', { auth: false })).json).toEqual({ operator: false, viewer: false });
    expect((await api('/api/session')).json).toEqual({ operator: false, viewer: true });
    expect((await api('/api/session', { auth: token })).json).toEqual({ operator: true, viewer: true });
    const devices = await api('/api/devices');
    expect(devices.json.devices.map((d) => d.id)).toEqual(['dev-a', 'dev-b']);
    expect(statSync(cloud.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(cloud.viewerTokenFile).mode & 0o777).toBe(0o600);
    expect(health.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  });

  it('refuses every read without a login (the attack read the model, telemetry and fleet)', async () => {
    for (const path of [
      '/api/devices',
      '/api/devices/api/dev-a/telemetry?kind=perf',
      '/api/status',
      '/api/releases',
      '/api/rollouts',
      '/api/library',
      '/api/preview',
      '/api/preview/model.onnx',
      '/api/events',
    ]) {
      for (const auth of [false, 'wrong-token-wrong-token'] as const) {
        const r = await api(path, { auth });
        expect([path, r.status]).toEqual([path, 401]);
      }
    }
    // a viewer reads but never writes
    const file = encodeReleaseFile(release);
    expect((await api('/api/releases', { raw: file, auth: viewer })).status).toBe(401);
  });

  it('refuses every write without the operator token, and nothing changes', async () => {
    const file = encodeReleaseFile(release);
    for (const auth of [false, 'wrong-token-wrong-token'] as const) {
      const up = await api('/api/releases', { raw: file, auth });
      expect(up.status).toBe(401);
      expect(up.json.error).toMatch(/operator token required/);
      expect((await api('/api/rollouts', { body: { release: sha, fleet: 'api' }, auth })).status).toBe(401);
      expect((await api('/api/rollouts/ro-x/cancel', { body: {}, auth })).status).toBe(401);
    }
    expect((await api('/api/releases')).json).toEqual({ releases: [] });
    expect((await api('/api/rollouts')).json).toEqual({ rollouts: [] });
  });

  it('stores a verified upload once and refuses bad ones with a reason', async () => {
    const file = encodeReleaseFile(release);
    const first = await api('/api/releases', { raw: file, auth: token });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      created: true,
      release: { id: sha, kind: 'library', version: '3', signatureVerified: true },
    });
    const again = await api('/api/releases', { raw: file, auth: token });
    expect(again.status).toBe(200);
    expect(again.json.created).toBe(false);

    const foreign = createRelease({ kind: 'library', library: 'classic', key: generateKeys().privateKey });
    const bad = await api('/api/releases', { raw: encodeReleaseFile(foreign), auth: token });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/unknown key/);
    const corrupt = new Uint8Array(file);
    corrupt[corrupt.length - 1]! ^= 1;
    expect((await api('/api/releases', { raw: corrupt, auth: token })).json.error).toMatch(/sha256/);
    expect((await api('/api/releases', { raw: new Uint8Array([1, 2]), auth: token })).status).toBe(400);
    expect((await api('/api/releases')).json.releases.map((r) => r.id)).toEqual([sha]);
  });

  it('logs in with the token for an HttpOnly SameSite=Strict session cookie, and out again', async () => {
    expect((await api('/api/login', { body: { token: 'nope' }, auth: false })).status).toBe(401);
    const login = await api('/api/login', { body: { token }, auth: false });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^lk_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = setCookie.split(';')[0]!;
    expect((await api('/api/session', { cookie })).json).toEqual({ operator: true, viewer: true });
    expect((await api('/api/session', { cookie: 'lk_session=forged' })).json).toEqual({
      operator: false,
      viewer: false,
    });
    // The cookie authorises writes.
    const r = await api('/api/rollouts', { body: { release: sha, fleet: 'api', stages: [50, 100] }, cookie });
    expect(r.status).toBe(201);
    expect((await api(`/api/rollouts/${r.json.rollout.id}/cancel`, { body: {}, cookie })).status).toBe(200);
    await api('/api/logout', { body: {}, cookie });
    expect((await api('/api/session', { cookie })).json).toEqual({ operator: false, viewer: false });
    expect((await api('/api/rollouts', { body: { release: sha, fleet: 'api' }, cookie })).status).toBe(401);
  });

  it('gives the viewer token a read-only session, Secure when the request came over TLS', async () => {
    const login = await api('/api/login', {
      body: { token: viewer },
      auth: false,
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(login.json).toEqual({ operator: false, viewer: true });
    expect(login.headers.get('set-cookie')).toMatch(/; Secure$/);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await api('/api/devices', { cookie })).status).toBe(200);
    expect((await api('/api/rollouts', { body: { release: sha, fleet: 'api' }, cookie })).status).toBe(401);
    const plain = await api('/api/login', { body: { token: viewer }, auth: false });
    expect(plain.headers.get('set-cookie')).not.toMatch(/Secure/);
  });

  it('creates, lists, shows, cancels and aborts rollouts with proper status codes', async () => {
    const created = await api('/api/rollouts', {
      body: { release: '3', fleet: 'api', stages: [50, 100], abortFailureRate: 0.5 },
      auth: token,
    });
    expect(created.status).toBe(201);
    const id = created.json.rollout.id;
    expect(created.json.rollout).toMatchObject({
      state: 'running',
      stage: 0,
      targets: ['dev-a', 'dev-b'],
      abortFailureRate: 0.5,
    });
    const shown = await api(`/api/rollouts/${id}`);
    expect(shown.json.jobs.map((j) => [j.device, j.state])).toEqual([['dev-a', 'notified']]);
    expect((await api('/api/rollouts?fleet=api')).json.rollouts.map((r) => r.state)).toEqual([
      'cancelled',
      'running',
    ]);
    const status = await api('/api/status?fleet=api');
    expect(status.json.devices.map((d) => [d.id, d.jobs.map((j) => j.state)])).toEqual([
      ['dev-a', ['notified']],
      ['dev-b', []],
    ]);
    const aborted = await api(`/api/rollouts/${id}/abort`, { body: {}, auth: token });
    expect(aborted.json.rollout).toMatchObject({ state: 'aborted', reason: 'aborted by the operator' });
    expect((await api(`/api/rollouts/${id}/cancel`, { body: {}, auth: token })).status).toBe(409);
    expect((await api('/api/rollouts/ro-unknown', {})).status).toBe(404);
    expect((await api('/api/rollouts/ro-unknown/abort', { body: {}, auth: token })).status).toBe(404);
    const unknown = await api('/api/rollouts', { body: { release: 'no-such', fleet: 'api' }, auth: token });
    expect([unknown.status, unknown.json.error]).toEqual([404, "no release 'no-such'"]);
    const badStages = await api('/api/rollouts', {
      body: { release: sha, fleet: 'api', stages: [50] },
      auth: token,
    });
    expect([badStages.status, badStages.json.error]).toEqual([
      400,
      'stages: 50 must end at 100 (the whole fleet)',
    ]);
    const extra = await api('/api/rollouts', {
      body: { release: sha, fleet: 'api', force: true },
      auth: token,
    });
    expect(extra.status).toBe(400);
    expect(extra.json.error).toMatch(/force/);
    expect((await api('/api/rollouts', { body: '{not json', auth: token })).status).toBe(400);
    expect((await api('/api/status?fleet=BAD!')).status).toBe(400);
  });

  it('bounds request bodies and answers unknown paths and methods in JSON', async () => {
    const big = await api('/api/login', { body: JSON.stringify({ token: 'x'.repeat(70_000) }) });
    expect(big.status).toBe(413);
    expect(big.json.error).toMatch(/over the limit of 65536 bytes/);
    const missing = await api('/api/nothing-here');
    expect([missing.status, missing.json.error]).toEqual([404, 'nothing at GET /api/nothing-here']);
    const wrongMethod = await api('/api/login');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await api('/api/health')).status).toBe(200);
  });

  it('queries a device’s telemetry by kind, since and limit', async () => {
    const creds = cloud.registry.addDevice({ fleet: 'api', id: 'dev-tel' });
    const client = await mqtt.connectAsync(cloud.brokerUrl, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      reconnectPeriod: 0,
    });
    try {
      for (let seq = 0; seq < 3; seq++) {
        const batch = { stream: 'boot-1', seq, records: [{ t: seq, layer: 0, entropy: 0.5 + seq / 10 }] };
        await client.publishAsync('lk/v1/api/dev-tel/tel/hunger', JSON.stringify(batch), { qos: 1 });
      }
      await waitFor(
        'three stored',
        () => cloud.store.count('hunger', { fleet: 'api', device: 'dev-tel' }) === 3,
      );
    } finally {
      await client.endAsync();
    }
    const all = await api('/api/devices/api/dev-tel/telemetry?kind=hunger');
    expect(all.json.records.map((r) => r.seq)).toEqual([0, 1, 2]);
    const latest = await api('/api/devices/api/dev-tel/telemetry?kind=hunger&limit=2');
    expect(latest.json.records.map((r) => r.seq)).toEqual([1, 2]);
    const since = all.json.records[0]!.receivedMs - 1;
    const after = await api(`/api/devices/api/dev-tel/telemetry?kind=hunger&since=${since}&limit=1`);
    expect(after.json.records.map((r) => r.seq)).toEqual([0]);
    expect((await api('/api/devices/api/dev-tel/telemetry?kind=drift')).json.records).toEqual([]);
    expect((await api('/api/devices/api/dev-tel/telemetry?kind=nope')).status).toBe(400);
    expect((await api('/api/devices/api/dev-tel/telemetry?kind=hunger&limit=0')).status).toBe(400);
    expect((await api('/api/devices/api/ghost/telemetry?kind=hunger')).status).toBe(404);
  });

  it('pages telemetry by count and bytes, each page naming the next (1.5 MB came in one answer)', async () => {
    cloud.registry.addDevice({ fleet: 'api', id: 'dev-pages' });
    const key = { fleet: 'api', device: 'dev-pages' };
    const u = Array.from({ length: 4096 }, (_, i) => i / 4096);
    // 30 hunger records of 4096 samples (~80 KB of JSON each), then 1500 small ones
    for (let seq = 0; seq < 30; seq++) {
      cloud.store.insertBatch('hunger', { ...key, stream: 's', seq }, [
        { t: seq, layer: 0, entropy: 0.5, samples: { u, phi: u } },
      ]);
    }
    cloud.store.insertBatch(
      'hunger',
      { ...key, stream: 's', seq: 30 },
      Array.from({ length: 1500 }, (_, i) => ({ t: i, layer: 1, entropy: 0.1 })),
    );
    const seen: string[] = [];
    let next: string | undefined = '0.0.0.0';
    let pages = 0;
    while (next !== undefined) {
      const page = await api(`/api/devices/api/dev-pages/telemetry?kind=hunger&after=${next}`);
      expect(page.status).toBe(200);
      expect(JSON.stringify(page.json).length).toBeLessThan(1.2 * 1024 * 1024);
      for (const r of page.json.records) seen.push(`${r.seq}.${r.idx}`);
      next = page.json.next;
      pages++;
    }
    expect(seen).toHaveLength(1530);
    expect(new Set(seen).size).toBe(1530);
    expect(pages).toBeGreaterThanOrEqual(4);
    expect((await api('/api/devices/api/dev-pages/telemetry?kind=hunger&after=x')).status).toBe(400);
    expect((await api('/api/devices/api/dev-pages/telemetry?kind=hunger&limit=5000')).status).toBe(400);
  });
});

describe('release publish --allow-downgrade (issue 16 item 4)', () => {
  it('keeps the flag on the rollout and puts it on every job it notifies', async () => {
    const created = await api('/api/rollouts', {
      body: { release: sha, fleet: 'api', stages: [100], allowDowngrade: true },
      auth: token,
    });
    expect(created.status).toBe(201);
    expect(created.json.rollout).toMatchObject({ allowDowngrade: true });
    const op = cloud.operator;
    const peek = await mqtt.connectAsync(cloud.brokerUrl, {
      ...op,
      clientId: 'peek-notify',
      reconnectPeriod: 0,
    });
    const notifies: { rolloutId: string; allowDowngrade?: boolean }[] = [];
    peek.on('message', (_t, p) => notifies.push(JSON.parse(p.toString('utf8'))));
    await peek.subscribeAsync('lk/v1/api/+/jobs/notify', { qos: 1 });
    await waitFor(
      'the retained notifies',
      () => notifies.filter((n) => n.rolloutId === created.json.rollout.id).length >= 2,
    );
    expect(
      notifies.filter((n) => n.rolloutId === created.json.rollout.id).every((n) => n.allowDowngrade === true),
    ).toBe(true);
    await peek.endAsync();
    const plain = await api('/api/rollouts', {
      body: { release: sha, fleet: 'api', stages: [100] },
      auth: token,
    });
    expect(plain.json.rollout).toMatchObject({ allowDowngrade: false });
  });
});
