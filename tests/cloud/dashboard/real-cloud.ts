/**
 * The real cloud for the dashboard's browser tests: startCloud (cloud/fleet/service.ts) on a temp
 * data dir with OS-chosen ports, so the page talks to the real fleet API, login, SSE feed and
 * release service. Devices that matter to a test are provisioned through the registry and
 * connect as real MQTT clients (their birth, status, telemetry and job updates go through the
 * broker and the ingest); the rest of a large fleet is written into devices.db before the cloud
 * opens it, since 500 scrypt hashes would take about 25 s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { DeviceRegistry, usernameFor } from '../../../cloud/fleet/devices.js';
import { type CloudHandle, startCloud } from '../../../cloud/fleet/service.js';
import { openDatabase } from '../../../cloud/fleet/telemetry/sqlite.js';
import { generateKeys } from '../../../shared/release/keys.js';
import type { Birth, JobNotify, JobState, JobUpdate } from '../../../shared/types/sync.js';
import { deviceTopic, jobUpdateTopic, TOPIC_POLICY } from '../../../shared/types/topics.js';

export const KEYS = generateKeys();

/** A device row written straight into devices.db, as if its birth and status had been heard. */
export interface BulkDevice {
  readonly id: string;
  readonly state?: 'online' | 'offline' | 'lost';
  readonly lastSeenMs?: number;
  readonly libraryVersion?: string;
  readonly modelVersion?: string;
  readonly runtime?: string;
  readonly profile?: string;
  readonly boot?: number;
}

export interface TestCloud {
  readonly cloud: CloudHandle;
  readonly url: string;
  readonly dir: string;
  /** The operator token, read from the file the cloud wrote. */
  readonly token: string;
  /** The read-only viewer token (the page's data needs a login). */
  readonly viewerToken: string;
  /** A viewer session cookie for a browser context (context.addCookies). */
  viewerCookie(): Promise<{ name: string; value: string; url: string }>;
  /** Registers a device and connects it as a real MQTT client (last will: status 'lost'). */
  device(fleet: string, id: string): Promise<TestDevice>;
  close(): Promise<void>;
}

/**
 * Writes device rows with a password hash no password matches (the dashboard only reads them),
 * before the cloud opens the registry: DeviceRegistry.open creates the table first.
 */
function writeBulk(dir: string, fleet: string, rows: readonly BulkDevice[]): void {
  DeviceRegistry.open(dir).close();
  const db = openDatabase(join(dir, 'devices.db'));
  const insert = db.prepare(
    `INSERT INTO devices (fleet, id, username, pass_hash, created_ms, state, last_seen_ms,
       library_version, model_version, runtime, profile, boot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const now = Date.now();
  db.transaction(() => {
    for (const d of rows) {
      insert.run(
        fleet,
        d.id,
        usernameFor(fleet, d.id),
        'scrypt$16384$8$1$AA==$AA==',
        now,
        d.state ?? 'unknown',
        d.lastSeenMs ?? null,
        d.libraryVersion ?? null,
        d.modelVersion ?? null,
        d.runtime ?? null,
        d.profile ?? null,
        d.boot ?? null,
      );
    }
  })();
  db.close();
}

export async function startTestCloud(
  options: { bulk?: { fleet: string; devices: readonly BulkDevice[] } } = {},
): Promise<TestCloud> {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-dashboard-'));
  if (options.bulk) writeBulk(dir, options.bulk.fleet, options.bulk.devices);
  const logs: string[] = [];
  const cloud = await startCloud({
    dataDir: dir,
    mqttPort: 0,
    httpPort: 0,
    host: '127.0.0.1',
    // a quicker live feed than the cloud's one a second, so replaying an hour takes seconds
    dashboard: { live: { flushMs: 200 } },
    log: (line) => logs.push(line),
  });
  const token = readFileSync(cloud.tokenFile, 'utf8').trim();
  const viewerToken = readFileSync(cloud.viewerTokenFile, 'utf8').trim();
  const devices: TestDevice[] = [];
  return {
    cloud,
    url: cloud.httpUrl,
    dir,
    token,
    viewerToken,
    async viewerCookie() {
      const res = await fetch(`${cloud.httpUrl}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: viewerToken }),
      });
      const [name = '', value = ''] = (res.headers.get('set-cookie') ?? '').split(';')[0]!.split('=');
      return { name, value, url: cloud.httpUrl };
    },
    async device(fleet, id) {
      const creds = cloud.registry.addDevice({ fleet, id });
      const d = await TestDevice.connect(cloud.brokerUrl, creds);
      devices.push(d);
      return d;
    },
    async close() {
      await Promise.all(devices.map((d) => d.close()));
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A device on its own MQTT account, publishing what the DESIGN topic table says it publishes. */
export class TestDevice {
  readonly notifies: JobNotify[] = [];
  #seq = 0;

  private constructor(
    readonly client: MqttClient,
    readonly fleet: string,
    readonly id: string,
  ) {
    client.on('message', (topic, payload) => {
      if (topic === deviceTopic(this.ref, 'jobs/notify') && payload.length > 0) {
        this.notifies.push(JSON.parse(payload.toString('utf8')) as JobNotify);
      }
    });
  }

  get ref() {
    return { fleet: this.fleet, device: this.id };
  }

  static async connect(
    url: string,
    creds: { fleet: string; id: string; username: string; password: string },
  ): Promise<TestDevice> {
    const ref = { fleet: creds.fleet, device: creds.id };
    const client = await mqtt.connectAsync(url, {
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      will: {
        topic: deviceTopic(ref, 'status'),
        payload: Buffer.from('lost'),
        qos: TOPIC_POLICY.status.qos,
        retain: TOPIC_POLICY.status.retain,
      },
    });
    (client.stream as Socket).setNoDelay(true);
    const device = new TestDevice(client, creds.fleet, creds.id);
    await client.subscribeAsync(deviceTopic(ref, 'jobs/notify'), { qos: 1 });
    return device;
  }

  async #publish(
    kind: 'status' | 'birth' | 'reported' | 'tel/perf' | 'tel/hunger' | 'evt/drift',
    body: string,
  ) {
    const policy = TOPIC_POLICY[kind];
    await this.client.publishAsync(deviceTopic(this.ref, kind), body, {
      qos: policy.qos,
      retain: policy.retain,
    });
  }

  status(state: 'online' | 'offline'): Promise<void> {
    return this.#publish('status', state);
  }

  birth(facts: Omit<Birth, 'at'>): Promise<void> {
    return this.#publish('birth', JSON.stringify({ ...facts, at: new Date().toISOString() }));
  }

  /** One telemetry batch on the device's 'live' outbox stream. */
  telemetry(kind: 'tel/perf' | 'tel/hunger' | 'evt/drift', records: Record<string, unknown>[]) {
    return this.#publish(kind, JSON.stringify({ stream: 'live', seq: this.#seq++, records }));
  }

  async job(state: JobState, extra: Partial<JobUpdate> = {}): Promise<void> {
    const notify = this.notifies[this.notifies.length - 1];
    if (!notify) throw new Error(`${this.fleet}/${this.id} has no job`);
    const update: JobUpdate = {
      jobId: notify.jobId,
      rolloutId: notify.rolloutId,
      state,
      at: new Date().toISOString(),
      ...extra,
    };
    await this.client.publishAsync(jobUpdateTopic(this.ref, notify.jobId), JSON.stringify(update), {
      qos: TOPIC_POLICY['jobs/update'].qos,
    });
  }

  /** Drops the connection as a crash would (no DISCONNECT), so the broker publishes the will. */
  crash(): void {
    this.client.stream.destroy();
    this.client.end(true);
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** Polls `check` until it holds (expect.poll works only inside a test, not in beforeAll). */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A JSON response body, typed by the caller (the route's own exported type). */
/** JSON from `url`, read with `token` (a viewer's or the operator's; reads need one). */
export async function getJson<T>(url: string, token?: string): Promise<T> {
  return (await (
    await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  ).json()) as T;
}
