/**
 * The dashboard's own routes without a browser, mounted as the cloud mounts them (createDashboard
 * on the cloud's HTTP server, over a real registry, telemetry store, event bus and operator
 * sessions) but with its own options, so flushes and heartbeats are short enough to watch: the page and its assets with their content
 * types and no way out of the asset lists; the gallery's data computed by the shared activation
 * code; the preview's server-side run; and the live feed (coalesced to one message per flush,
 * heartbeats, chart fields only, unsubscribed when the client goes, ended by close()).
 */

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDashboard,
  type Dashboard,
  type GalleryData,
  type PreviewData,
} from '../../../cloud/dashboard/index.js';
import { LIVE_FEED_DEFAULTS } from '../../../cloud/dashboard/live.js';
import { DeviceRegistry } from '../../../cloud/fleet/devices.js';
import { FleetEvents } from '../../../cloud/fleet/events.js';
import { OperatorSessions } from '../../../cloud/fleet/http/auth.js';
import { type CloudHttpServer, startHttpServer } from '../../../cloud/fleet/http/server.js';
import { TelemetryStore } from '../../../cloud/fleet/telemetry/store.js';
import { classicEntries } from '../../../shared/activations/index.js';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { makeLibrary, saveLibrary } from '../../../shared/library/library.js';
import { runSequence } from '../../../shared/model/reference.js';
import { loadProfile } from '../../../shared/profiles.js';
import { entriesOfEveryForm, tinyModel } from '../../helpers/models.js';
import { getJson } from './real-cloud.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** The viewer token the mounted dashboard accepts (its /api reads need a login). */
const VIEWER = 'viewer-token-for-the-routes-test';
const AUTH = { authorization: `Bearer ${VIEWER}` };

/** A request with the path sent exactly as written (fetch would normalise dot segments). */
function raw(
  base: string,
  path: string,
  method = 'GET',
  headers: Record<string, string> = AUTH,
): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** An open event stream that records every message (named events and comments). */
function stream(base: string, path: string) {
  const { hostname, port } = new URL(base);
  const messages: { event: string; data: string }[] = [];
  const comments: string[] = [];
  let ended = false;
  let buffer = '';
  const req = request({ hostname, port, path, headers: { accept: 'text/event-stream', ...AUTH } });
  const ready = new Promise<{ contentType: string | undefined }>((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) messages.push({ event, data: data.join('\n') });
        }
      });
      res.on('end', () => {
        ended = true;
      });
      resolve({ contentType: res.headers['content-type'] });
    });
    req.on('error', reject);
  });
  req.end();
  return {
    ready,
    messages,
    comments,
    updates: () => messages.filter((m) => m.event === 'update').map((m) => JSON.parse(m.data)),
    get ended() {
      return ended;
    },
    close: () => req.destroy(),
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The dashboard on the cloud's HTTP server, with the parts it reads. */
interface Mounted {
  readonly url: string;
  readonly dir: string;
  readonly registry: DeviceRegistry;
  readonly events: FleetEvents;
  readonly dashboard: Dashboard;
  close(): Promise<void>;
}

async function mountDashboard(refs: {
  library: { dir: string | null };
  bundle: { dir: string | null };
}): Promise<Mounted> {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-dashboard-'));
  const registry = DeviceRegistry.open(dir);
  const store = TelemetryStore.open({ dataDir: dir });
  const events = new FleetEvents();
  const dashboard = createDashboard(
    {
      dataDir: dir,
      registry,
      store,
      events,
      auth: new OperatorSessions('operator-token-not-used-here', { viewerToken: VIEWER }),
      libraryDir: () => refs.library.dir,
      modelBundleDir: () => refs.bundle.dir,
    },
    {
      live: { flushMs: 250, heartbeatMs: 100, maxDeviceUpdates: 50 },
      preview: { steps: 16 },
      log: () => {},
    },
  );
  const http: CloudHttpServer = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    routes: [dashboard],
    log: () => {},
  });
  return {
    url: http.url,
    dir,
    registry,
    events,
    dashboard,
    async close() {
      dashboard.close();
      await http.close();
      store.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let app: Mounted;
let libDir: string;
let bundleDir: string;
const libraryRef: { dir: string | null } = { dir: null };
const bundleRef: { dir: string | null } = { dir: null };

beforeAll(async () => {
  app = await mountDashboard({ library: libraryRef, bundle: bundleRef });
  libDir = join(app.dir, 'lib');
  bundleDir = join(app.dir, 'bundle');
  mkdirSync(libDir);
  saveLibrary(libDir, makeLibrary([...classicEntries(), ...entriesOfEveryForm()], 2));
  writeBundle(bundleDir, exportModel(tinyModel(), { profile: loadProfile('pi5'), quant: 'fp32' }));
});
afterAll(() => app.close());

describe('page and assets', () => {
  it('serves the page and every asset it references with the right content type', async () => {
    const page = await raw(app.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = page.body.toString('utf8');
    const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    refs.push(...[...html.matchAll(/"(\/assets\/ort\/[^"]+)"/g)].map((m) => m[1]!));
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const ref of refs) {
      const r = await raw(app.url, ref, 'HEAD');
      expect(r.status, ref).toBe(200);
      expect(r.headers['content-type'], ref).toMatch(/^(text\/javascript|text\/css)/);
    }
    const wasm = await raw(app.url, '/assets/ort/ort-wasm-simd-threaded.wasm', 'HEAD');
    expect(wasm.status).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    const glue = await raw(app.url, '/assets/ort/ort-wasm-simd-threaded.mjs', 'HEAD');
    expect(glue.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const app1 = await raw(app.url, '/assets/app/app.js');
    expect(app1.body.toString('utf8')).toBe(
      readFileSync(join(import.meta.dirname, '../../../cloud/dashboard/web/app.js'), 'utf8'),
    );
  });

  it('refuses every path outside the asset lists (dot segments, encoded slashes, other files)', async () => {
    const secret = readFileSync(join(import.meta.dirname, '../../../package.json'));
    const attempts = [
      '/assets/app/../../../package.json',
      '/assets/app/%2e%2e/%2e%2e/%2e%2e/package.json',
      '/assets/app/..%2f..%2f..%2fpackage.json',
      '/assets/app/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/app/....//....//package.json',
      '/assets/vendor/../../package.json',
      '/assets/vendor/uPlot.esm.js',
      '/assets/ort/ort.all.min.js',
      '/assets/ort/../package.json',
      '/assets/app/tsconfig.json',
      '/assets/app/%00app.js',
      '/assets/app/app.js/',
      '/assets/app//etc/passwd',
      '/assets/app/\\..\\..\\package.json',
      '/assets//work/main/package.json',
    ];
    for (const path of attempts) {
      const r = await raw(app.url, path);
      expect(r.status, path).toBe(404);
      expect(r.body.includes(secret), path).toBe(false);
    }
  });

  it('answers only GET and HEAD on its routes', async () => {
    for (const path of ['/', '/api/library', '/api/preview', '/assets/app/app.js']) {
      expect((await raw(app.url, path, 'POST')).status, path).toBe(405);
    }
  });
});

describe('GET /api/library', () => {
  it('serves the built-in classic library while there is no library dir', async () => {
    const lib = await getJson<GalleryData>(`${app.url}/api/library`, VIEWER);
    expect(lib.source).toBe('classic');
    expect(lib.entries.map((e: { name: string }) => e.name)).toEqual(classicEntries().map((e) => e.name));
  });

  it("serves every entry of the current library with metadata and a curve from ψ's own code", async () => {
    libraryRef.dir = libDir;
    {
      const lib = await getJson<GalleryData>(`${app.url}/api/library`, VIEWER);
      expect(lib.source).toBe('library');
      expect(lib.version).toBe(2);
      expect(lib.entries).toHaveLength(classicEntries().length + 3);
      expect(new Set(lib.entries.map((e: { form: string }) => e.form))).toEqual(
        new Set(['classic', 'symbolic', 'chebyshev', 'rational']),
      );
      for (const e of lib.entries) {
        expect(e.curve.z).toHaveLength(151);
        expect(e.curve.z[0]).toBe(-1.5);
        expect(e.curve.z[25]).toBe(-1);
        expect(e.curve.z[125]).toBe(1);
        expect(e.curve.z[150]).toBe(1.5);
        expect(e.provenance.source).toBeTypeOf('string');
        expect(e.usage.count).toBeTypeOf('number');
        expect(e.cost.opsPerElement).toBeTypeOf('number');
        expect(e.gradient.monotone).toBeTypeOf('string');
        expect(e.fitError.rms).toBeTypeOf('number');
      }
      // the tanh entry's curve, mapped back through its natural affine, is tanh itself
      const tanh = lib.entries.find((e) => e.name === 'tanh')!;
      const { a, b, c, d } = tanh.natural;
      tanh.curve.z.forEach((z, i) => {
        expect(c * tanh.curve.psi[i]! + d).toBeCloseTo(Math.tanh((z - b) / a), 5);
      });
      // a constant tail holds the boundary value
      const cheb = lib.entries.find((e) => e.name === 'cheb_j0')!;
      expect(cheb.tail).toBe('constant');
      expect(cheb.curve.psi[150]).toBe(cheb.curve.psi[125]);
      expect(cheb.formDetail).toMatch(/^Chebyshev degree \d+$/);
    }
  });
});

describe('GET /api/preview', () => {
  it('says why there is no preview before a model bundle exists', async () => {
    const p = await getJson<PreviewData>(`${app.url}/api/preview`, VIEWER);
    expect(p).toEqual({ available: false, reason: expect.stringMatching(/no model bundle/) });
    expect((await raw(app.url, '/api/preview/model.onnx')).status).toBe(404);
  });

  it('runs the sample window on onnxruntime-node, matching the float64 reference of the same model', async () => {
    bundleRef.dir = bundleDir;
    const base = app.url;
    try {
      const p = await getJson<PreviewData>(`${base}/api/preview`, VIEWER);
      if (!p.available) throw new Error(`no preview: ${p.reason}`);
      const s = p.sample;
      expect(s.engine).toBe('native');
      expect(s.steps).toBe(16);
      expect(s.stateWidth).toBeGreaterThan(0);
      expect(s.x).toHaveLength(16 * s.inputs);
      expect(s.expected).toHaveLength(16 * s.outputs);
      for (const v of s.x) expect(Math.fround(v)).toBe(v);
      // the same window through the TypeScript reference (float64): the server fed state and Δt as the device does
      const y = runSequence(tinyModel(), Float64Array.from(s.x));
      expect(y).toHaveLength(s.expected.length);
      let max = 0;
      for (let i = 0; i < y.length; i++) max = Math.max(max, Math.abs(y[i]! - s.expected[i]));
      expect(max).toBeLessThan(1e-4);
      // the model URL serves the step graph the manifest describes
      const bytes = Buffer.from(await (await fetch(`${base}${p.modelUrl}`, { headers: AUTH })).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(p.manifest.step.file.sha256);

      // a manifest that names a file outside the bundle is refused, not followed
      const manifestPath = join(bundleDir, 'manifest.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
      manifest.step.file.file = '../devices.db';
      writeFileSync(manifestPath, JSON.stringify(manifest));
      const bad = await getJson<PreviewData>(`${base}/api/preview`, VIEWER);
      expect(bad).toEqual({ available: false, reason: expect.stringMatching(/not a plain file name/) });
      expect((await raw(base, '/api/preview/model.onnx')).status).toBe(500);
    } finally {
      bundleRef.dir = null;
    }
  });
});

describe('GET /api/events', () => {
  it('coalesces a burst from 500 devices into at most one update per flush', async () => {
    const s = stream(app.url, '/api/events');
    expect((await s.ready).contentType).toBe('text/event-stream; charset=utf-8');
    await waitFor('hello', () => s.messages.some((m) => m.event === 'hello'));
    const started = Date.now();
    // 2 s of telemetry from 500 devices, 10 batches a second each
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 500; i++) {
        app.events.publish({
          type: 'telemetry',
          kind: 'perf',
          fleet: 'plant',
          device: `dev-${i}`,
          records: [{ p50Us: 10, p99Us: 20, mse: 0.1 }],
        });
      }
      await sleep(100);
    }
    await sleep(300);
    const elapsed = Date.now() - started;
    const updates = s.updates();
    // flushMs is 250 here: at most one update per 250 ms (plus the first, sent at once)
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    expect(updates.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < updates.length; i++)
      expect(updates[i].t - updates[i - 1].t).toBeGreaterThanOrEqual(245);
    // every device's last-heard time arrived, and no chart points for unwatched devices
    const seen = new Set(updates.flatMap((u) => Object.keys(u.seen ?? {})));
    expect(seen.size).toBe(500);
    expect(updates.every((u) => u.telemetry === undefined)).toBe(true);
    s.close();
  });

  it("sends the watched device's chart fields only (no hunger samples), and device records", async () => {
    const id = app.registry.addDevice({ fleet: 'plant', id: 'dev-0000' }).id;
    const s = stream(app.url, `/api/events?device=${encodeURIComponent(`plant/${id}`)}`);
    await s.ready;
    await waitFor('hello', () => s.messages.some((m) => m.event === 'hello'));
    const samples = { u: Array.from({ length: 4096 }, (_, i) => i / 4096), phi: new Array(4096).fill(0.5) };
    app.events.publish({
      type: 'telemetry',
      kind: 'hunger',
      fleet: 'plant',
      device: id,
      records: [{ layer: 1, entropy: 0.7, gap: 0.2, hungry: true, samples }],
    });
    app.events.publish({
      type: 'telemetry',
      kind: 'drift',
      fleet: 'plant',
      device: 'someone-else',
      records: [{ step: 1, detector: 'adwin', statistic: 3, threshold: 2, state: {} }],
    });
    app.registry.recordStatus('plant', id, 'online', true);
    app.events.publish({ type: 'device', fleet: 'plant', device: id });
    await waitFor('an update with telemetry and the device', () =>
      s.updates().some((u) => u.telemetry && u.devices),
    );
    const u = s.updates().find((x) => x.telemetry && x.devices)!;
    expect(u.telemetry.device).toBe(`plant/${id}`);
    expect(u.telemetry.hunger).toHaveLength(1);
    const point = u.telemetry.hunger[0];
    expect(point).toMatchObject({ layer: 1, entropy: 0.7, gap: 0.2, hungry: true });
    expect(point.samples).toBeUndefined();
    expect(u.telemetry.drift).toBeUndefined();
    expect(u.devices).toEqual([
      expect.objectContaining({ fleet: 'plant', id, state: 'online', online: true }),
    ]);
    s.close();
  });

  it('sends reload instead of records when many devices change at once', async () => {
    const s = stream(app.url, '/api/events');
    await s.ready;
    await waitFor('hello', () => s.messages.some((m) => m.event === 'hello'));
    for (let i = 0; i < 60; i++) app.events.publish({ type: 'device', fleet: 'plant', device: `d-${i}` });
    app.events.publish({ type: 'rollout', rolloutId: 'r-1', state: 'running' });
    app.events.publish({ type: 'library', version: '7' });
    await waitFor('an update', () => s.updates().length > 0);
    const u = s.updates()[0];
    expect(u.reload).toBe(true);
    expect(u.devices).toBeUndefined();
    expect(u.rollouts).toEqual(['r-1']);
    expect(u.library).toBe('7');
    s.close();
  });

  it('sends heartbeats, unsubscribes when the client leaves, and close() ends every stream', async () => {
    await waitFor('the earlier streams to go', () => app.events.size === 0);
    const base = 0;
    const a = stream(app.url, '/api/events');
    const b = stream(app.url, '/api/events');
    await Promise.all([a.ready, b.ready]);
    await waitFor('two subscribers', () => app.events.size === base + 2);
    await waitFor('heartbeats', () => a.comments.filter((c) => c === ': hb').length >= 2);
    a.close();
    await waitFor('the subscriber removed', () => app.events.size === base + 1);
    app.dashboard.close();
    await waitFor('the stream ended', () => b.ended);
    expect(app.events.size).toBe(base);
  });
});

describe('reads and framing (issue 16 item 3)', () => {
  it('refuses the data routes without a login, but serves the page and its assets', async () => {
    for (const path of ['/api/library', '/api/preview', '/api/preview/model.onnx', '/api/events']) {
      expect([path, (await raw(app.url, path, 'GET', {})).status]).toEqual([path, 401]);
      const wrong = { authorization: 'Bearer not-a-token-at-all' };
      expect([path, (await raw(app.url, path, 'GET', wrong)).status]).toEqual([path, 401]);
    }
    expect((await raw(app.url, '/', 'GET', {})).status).toBe(200);
  });

  it('sends the page with a CSP that allows only its own scripts and no framing', async () => {
    const page = await raw(app.url, '/');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[A-Za-z0-9+/=]{44}'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    // the inline import map is the one script the hash admits
    const map = /<script type="importmap">(.*?)<\/script>/.exec(page.body.toString('utf8'))?.[1] ?? '';
    const hash = createHash('sha256').update(map).digest('base64');
    expect(csp).toContain(`'sha256-${hash}'`);
  });

  it('caps the live streams open at once (300 were accepted)', async () => {
    const open = Array.from({ length: LIVE_FEED_DEFAULTS.maxStreams }, () => stream(app.url, '/api/events'));
    await Promise.all(open.map((s) => s.ready));
    const over = await raw(app.url, '/api/events');
    expect(over.status).toBe(503);
    expect(JSON.parse(over.body.toString('utf8')).error).toMatch(/too many live streams/);
    for (const s of open) s.close();
  });
});
