/**
 * startCloud (cloud/fleet/service.ts): everything starts on OS-chosen ports, ingest announces
 * device facts and stored telemetry on the event bus, close() releases every port, a restart on
 * the same data dir keeps the token, the releases and the rollouts and puts the retained jobs
 * back, the cloud runs the same against an external broker, and policies plug in and are closed.
 */
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFleetBroker } from '../../../cloud/fleet/broker/broker.js';
import type { FleetEvent } from '../../../cloud/fleet/events.js';
import { type CloudHandle, type CloudOptions, startCloud } from '../../../cloud/fleet/service.js';
import { encodeReleaseFile } from '../../../shared/release/release-file.js';
import { tempDir } from '../../cli/cli-harness.js';
import { waitFor } from './helpers.js';
import { connectDevice, libraryRelease } from './releases/helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(label: string): string {
  const d = tempDir(label);
  dirs.push(d);
  return d;
}

function start(dir: string, over: Partial<CloudOptions> = {}): Promise<CloudHandle> {
  return startCloud({ dataDir: dir, mqttPort: 0, httpPort: 0, host: '127.0.0.1', log: () => {}, ...over });
}

/** Whether something accepts TCP connections at a URL's host and port. */
function listening(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = netConnect(Number(u.port), u.hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const release = libraryRelease(5);
const sha = release.envelope.manifest.sha256;

describe('startCloud', () => {
  it('announces device facts and stored telemetry, and releases every port on close', async () => {
    const dir = dataDir('cloud-svc');
    const cloud = await start(dir);
    const seen: FleetEvent[] = [];
    cloud.events.subscribe((e) => seen.push(e));
    const creds = cloud.registry.addDevice({ fleet: 'svc', id: 'dev-a' });
    const d = await connectDevice(cloud.brokerUrl, creds);
    await d.client.publishAsync(d.topic('status'), 'online', { qos: 1, retain: true });
    const batch = { seq: 0, records: [{ t: 1, layer: 2, entropy: 0.7 }] };
    await d.client.publishAsync(d.topic('tel/hunger'), JSON.stringify(batch), { qos: 1 });
    await waitFor('two events', () => seen.length >= 2);
    expect(seen).toContainEqual({ type: 'device', fleet: 'svc', device: 'dev-a' });
    expect(seen).toContainEqual({
      type: 'telemetry',
      kind: 'hunger',
      fleet: 'svc',
      device: 'dev-a',
      records: batch.records,
    });
    expect(cloud.registry.getDevice('svc', 'dev-a')?.online).toBe(true);
    await d.close();

    expect(await listening(cloud.httpUrl)).toBe(true);
    await cloud.close();
    await cloud.close(); // twice is fine
    expect(await listening(cloud.httpUrl)).toBe(false);
    expect(await listening(cloud.brokerUrl)).toBe(false);
  });

  it('keeps token, releases and rollouts across a restart and republishes the retained job', async () => {
    const dir = dataDir('cloud-restart');
    const first = await start(dir);
    const token = readFileSync(first.tokenFile, 'utf8');
    const creds = first.registry.addDevice({ fleet: 'rs', id: 'dev-a' });
    await first.releases.addRelease(encodeReleaseFile(release));
    const r = await first.releases.startRollout({ release: sha, fleet: 'rs', stages: [100] });
    await first.close();

    const second = await start(dir);
    try {
      expect(readFileSync(second.tokenFile, 'utf8')).toBe(token);
      expect((await second.releases.listReleases()).map((x) => x.id)).toEqual([sha]);
      expect((await second.releases.getRollout(r.id)).rollout.state).toBe('running');
      // A new embedded broker holds no retained messages: the cloud put them back.
      const d = await connectDevice(second.brokerUrl, creds);
      await waitFor('notify and desired', () => d.notifies.length === 1 && d.desired.length === 1);
      expect(d.lastNotify()).toMatchObject({ rolloutId: r.id, streamId: sha, cancelled: false });
      await d.close();
    } finally {
      await second.close();
    }
  });

  it('points the dashboard at the newest library and the last model bundle', async () => {
    const dir = dataDir('cloud-dirs');
    const cloud = await start(dir);
    try {
      expect(cloud.libraryDir()).toBeNull();
      expect(cloud.modelBundleDir()).toBeNull();
      await cloud.releases.addRelease(encodeReleaseFile(release));
      const unpacked = join(dir, 'releases', 'unpacked', sha);
      expect(cloud.libraryDir()).toBe(unpacked);
      expect(JSON.parse(readFileSync(join(unpacked, 'library.json'), 'utf8')).version).toBe(5);
      // The loop writes DATA/library/current later: it is now the newest.
      const current = join(dir, 'library', 'current');
      mkdirSync(current, { recursive: true });
      writeFileSync(join(current, 'library.json'), readFileSync(join(unpacked, 'library.json')));
      utimesSync(join(current, 'library.json'), new Date(Date.now() + 5000), new Date(Date.now() + 5000));
      expect(cloud.libraryDir()).toBe(current);
      expect(cloud.modelBundleDir()).toBeNull();
    } finally {
      await cloud.close();
    }
  });

  it('runs against an external broker that knows the accounts', async () => {
    const dir = dataDir('cloud-external');
    // The "external" broker here is another aedes on the same accounts (registry and operator.json).
    const external = await startFleetBroker({ dataDir: dir, host: '127.0.0.1', port: 0, log: () => {} });
    const cloud = await start(dir, { broker: external.url });
    try {
      expect(cloud.brokerUrl).toBe(external.url);
      const creds = cloud.registry.addDevice({ fleet: 'ext', id: 'dev-a' });
      await cloud.releases.addRelease(encodeReleaseFile(release));
      const d = await connectDevice(external.url, creds);
      await cloud.releases.startRollout({ release: sha, fleet: 'ext', stages: [100] });
      await waitFor('notify', () => d.notifies.length === 1);
      const frame = await d.request(sha, { chunk: 0 });
      expect(frame.subarray(0, 4).toString()).toBe('LKC1');
      await d.update(d.lastNotify()!.jobId, 'succeeded');
      await waitFor(
        'completed',
        async () => (await cloud.releases.listRollouts({ fleet: 'ext' }))[0]?.state === 'completed',
      );
      await d.close();
    } finally {
      await cloud.close();
      await external.close();
    }
  });

  it('starts policies with the handle and closes them first', async () => {
    const order: string[] = [];
    const cloud = await start(dataDir('cloud-policy'), {
      policies: [
        (c) => {
          order.push(`start ${c.httpUrl === '' ? 'no-url' : 'with-url'}`);
          c.events.subscribe(() => {});
          return {
            close: async () => {
              order.push(`close, http up: ${await listening(c.httpUrl)}`);
            },
          };
        },
      ],
    });
    await cloud.close();
    expect(order).toEqual(['start with-url', 'close, http up: true']);
  });

  it('refuses a bad broker URL and cleans up after a failed start', async () => {
    const dir = dataDir('cloud-fail');
    await expect(start(dir, { broker: 'http://x' })).rejects.toThrow(/mqtt:\/\//);
    const holder = await start(dir);
    const port = Number(new URL(holder.httpUrl).port);
    await expect(start(join(dir, 'other'), { httpPort: port })).rejects.toThrow(/EADDRINUSE/);
    await holder.close();
    const again = await start(join(dir, 'other'), { httpPort: port });
    await again.close();
  });
});
