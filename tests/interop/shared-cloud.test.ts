/**
 * Two cloud processes on one store (cloud/fleet/scale/service.ts) against Debian's mosquitto and
 * a throwaway PostgreSQL: a device's telemetry, ingested by whichever process the broker picks,
 * is served by both APIs; the live feed of either process carries it; a release uploaded to one
 * process and a rollout started on the follower are issued by the leader, and the device's chunk
 * request is answered from PostgreSQL; one process leads, and the other takes over when the
 * leader stops.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoFiles } from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../../cloud/fleet/broker/operator.js';
import type { DeviceCredentials } from '../../cloud/fleet/devices.js';
import { type SharedCloud, startSharedCloud } from '../../cloud/fleet/scale/service.js';
import { type RunningCluster, startCluster } from '../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore } from '../../cloud/fleet/store/postgres/index.js';
import { WorkQueue } from '../../cloud/fleet/store/postgres/queue.js';
import { decodeChunkFrame, verifyChunk } from '../../shared/release/chunks.js';
import { encodeReleaseFile } from '../../shared/release/release-file.js';
import { connectDevice, libraryRelease } from '../cloud/fleet/releases/helpers.js';
import { TOOLS } from '../helpers/system-tools.js';

const skip = TOOLS.mosquitto() ?? TOOLS.postgres();

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Collects the `update` events of a live feed (server-sent events) until closed. */
function liveFeed(url: string, viewer: string): { updates: Record<string, unknown>[]; close(): void } {
  const updates: Record<string, unknown>[] = [];
  const req = get(url, { headers: { authorization: `Bearer ${viewer}` } }, (res) => {
    let buf = '';
    res.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (block.includes('event: update') && data) updates.push(JSON.parse(data.slice(6)));
      }
    });
  });
  req.on('error', () => {});
  return { updates, close: () => req.destroy() };
}

describe.skipIf(skip !== null)('two cloud processes sharing PostgreSQL and mosquitto', () => {
  let dir: string;
  let cluster: RunningCluster;
  let broker: RunningMosquitto;
  let creds: DeviceCredentials;
  const clouds: SharedCloud[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lk-shared-cloud-'));
    cluster = await startCluster({ fast: true });
    const url = await cluster.createDatabase('cloud');
    const admin = await openPostgresStore({ url, poolSize: 1 });
    creds = await admin.registry.addDevice({ fleet: 'plant', id: 'pi-1' });
    await admin.close();
    broker = await startMosquitto(
      new MosquittoFiles(MosquittoFiles.dirFor(dir))
        .setOperator(loadOrCreateOperator(dir))
        .addDevices([creds]),
    );
    for (const instance of ['a', 'b']) {
      clouds.push(
        await startSharedCloud({
          dataDir: dir,
          store: url,
          broker: broker.operatorUrl,
          instance,
          ingestConnections: 2,
          httpPort: 0,
          host: '127.0.0.1',
          leaderPollMs: 200,
          // the hunger loop on the leader, its discovery queued (no worker here: the job waits)
          loop: {
            thresholds: { windowMs: 600_000, minHungryRecords: 4, minDevices: 1 },
            intervalMs: 0,
            debounceMs: 100,
            pollMs: 100,
          },
          log: (l) => process.env['LK_DEBUG'] && process.stderr.write(`[${instance}] ${l}\n`),
        }),
      );
    }
  });
  afterAll(async () => {
    for (const c of clouds) await c.close();
    await broker?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the telemetry from both processes and carries it on both live feeds', async () => {
    // reads need a login (issue 16): the viewer token, one for both since they share the data dir
    const viewer = readFileSync(clouds[0]!.viewerTokenFile, 'utf8').trim();
    const read = { headers: { authorization: `Bearer ${viewer}` } };
    const feeds = clouds.map((c) => liveFeed(`${c.httpUrl}/api/events?device=plant/pi-1`, viewer));
    await new Promise((r) => setTimeout(r, 300));
    const device = await mqtt.connectAsync(broker.url, {
      username: creds.username,
      password: creds.password,
      clientId: creds.username,
    });
    await device.publishAsync('lk/v1/plant/pi-1/status', 'online', { qos: 1, retain: true });
    for (let seq = 0; seq < 20; seq++) {
      const batch = { stream: 'boot-1', seq, records: [{ t: Date.now(), p50Us: 100 + seq, p99Us: 300 }] };
      await device.publishAsync('lk/v1/plant/pi-1/tel/perf', JSON.stringify(batch), { qos: 1 });
    }
    await device.endAsync();
    for (const c of clouds) {
      await until(`20 records through ${c.instance}'s API`, async () => {
        const r = await fetch(`${c.httpUrl}/api/devices/plant/pi-1/telemetry?kind=perf`, read);
        return ((await r.json()) as { records: unknown[] }).records.length === 20;
      });
      const devices = (await (await fetch(`${c.httpUrl}/api/devices`, read)).json()) as {
        devices: { online: boolean }[];
      };
      expect(devices.devices[0]?.online).toBe(true);
    }
    // each live feed saw every batch, whichever process stored it
    expect(clouds.every((c) => c.ingests.length === 2)).toBe(true);
    for (const feed of feeds) {
      await until('the live feed', () => {
        const points = feed.updates.flatMap((u) => (u['telemetry'] as { perf?: unknown[] })?.perf ?? []);
        return points.length === 20;
      });
      feed.close();
    }
  });

  it('issues on the leader a rollout started on the follower, and serves its chunks from the store', async () => {
    await until('a leader', () => clouds.some((c) => c.leadership.isLeader));
    const leader = clouds.find((c) => c.leadership.isLeader)!;
    const follower = clouds.find((c) => c !== leader)!;
    const token = readFileSync(follower.tokenFile, 'utf8').trim();
    const release = libraryRelease(3, 256);
    const sha = release.envelope.manifest.sha256;
    const up = await fetch(`${leader.httpUrl}/api/releases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: encodeReleaseFile(release),
    });
    expect(up.status).toBe(201);
    const device = await connectDevice(broker.url, creds);
    try {
      const started = await fetch(`${follower.httpUrl}/api/rollouts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ release: sha, fleet: 'plant', stages: [100] }),
      });
      expect(started.status).toBe(201);
      const { rollout } = (await started.json()) as { rollout: { id: string } };
      await until('the job on the device', () => device.notifies.length === 1);
      const notify = device.lastNotify()!;
      expect(notify).toMatchObject({ rolloutId: rollout.id, streamId: sha, cancelled: false });
      const chunk = decodeChunkFrame(await device.request(sha, { chunk: 1 }));
      expect(chunk.index).toBe(1);
      verifyChunk(release.envelope.manifest, 1, chunk.bytes);
      await device.update(notify.jobId, 'succeeded', { rolloutId: rollout.id });
      await until('the rollout completed', async () => {
        const r = await fetch(`${follower.httpUrl}/api/rollouts/${rollout.id}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return ((await r.json()) as { rollout: { state: string } }).rollout.state === 'completed';
      });
      expect(device.notifies).toHaveLength(1);
      // both dashboards' galleries show the library the release carries, unpacked from the store
      for (const c of clouds) {
        await until(`${c.instance}'s gallery on library 3`, async () => {
          const r = await fetch(`${c.httpUrl}/api/library`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const g = (await r.json()) as { source: string; version: number };
          return g.source === 'library' && g.version === 3;
        });
      }
    } finally {
      await device.close();
    }
  });

  it('queues discovery for persistent hunger sent over MQTT, from the leader alone', async () => {
    const device = await mqtt.connectAsync(broker.url, {
      username: creds.username,
      password: creds.password,
      clientId: creds.username,
    });
    const u = Array.from({ length: 40 }, (_, i) => -2 + i / 10);
    const records = Array.from({ length: 5 }, () => ({
      layer: 0,
      entropy: 0.8,
      gap: 0.3,
      hungry: true,
      samples: { u, phi: u.map(Math.abs) },
    }));
    await device.publishAsync(
      'lk/v1/plant/pi-1/tel/hunger',
      JSON.stringify({ stream: 'i-b1', seq: 0, records }),
      {
        qos: 1,
      },
    );
    await device.endAsync();
    const queue = new WorkQueue(clouds[0]!.store.pool);
    await until('a discovery job', async () => (await queue.list('discovery')).length > 0);
    await new Promise((r) => setTimeout(r, 500));
    const jobs = await queue.list('discovery');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: 'queued', payload: { library: 'classic' } });
    expect((jobs[0]!.payload as { job: { task: string } }).job.task).toBe('fleet-plant');
    // only the leader runs the loop
    expect(clouds.map((c) => c.loop() !== null)).toEqual(clouds.map((c) => c.leadership.isLeader));
  });

  it('has one leader, and the other process leads once the leader stops', async () => {
    await until('a leader', () => clouds.some((c) => c.leadership.isLeader));
    expect(clouds.filter((c) => c.leadership.isLeader)).toHaveLength(1);
    const leader = clouds.find((c) => c.leadership.isLeader)!;
    const other = clouds.find((c) => c !== leader)!;
    const t0 = Date.now();
    await leader.close();
    await until('the other leads', () => other.leadership.isLeader, 5000);
    expect(Date.now() - t0).toBeLessThan(1500);
    // the new leader's loop waits on the job the old one queued, and queues nothing again
    await until('the new leader to wait on the queued cycle', () => other.loop()?.status().busy === true);
    expect(await new WorkQueue(other.store.pool).list('discovery')).toHaveLength(1);
    const viewer = readFileSync(other.viewerTokenFile, 'utf8').trim();
    const r = await fetch(`${other.httpUrl}/api/releases`, {
      headers: { authorization: `Bearer ${viewer}` },
    });
    expect(r.status).toBe(200);
  });
});
