/**
 * Faults on the device's side, with the real cloud (startCloud, embedded broker) and real
 * DeviceAgents: a release signed with a key the device does not trust is refused and reported
 * `rejected` (and a cloud given --trust refuses the upload itself); malformed and oversized
 * messages from a device are dropped with a log line while the cloud and the other devices keep
 * working; a device killed during an install comes back on a working slot and reports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud } from '../../cloud/fleet/service.js';
import { generateKeys, writeKeyPair } from '../../shared/release/keys.js';
import { encodeReleaseFile } from '../../shared/release/release-file.js';
import { baseModel, modelRelease, scaledReadout, writeModelBundle } from '../device/sync/models.js';
import { type E2eFleet, startAgent, startE2eFleet, waitFor, warmedUp } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'liquidkan-e2e-device-'));
const base = baseModel();
const bundleV1 = writeModelBundle(join(work, 'v1'), base);
let f: E2eFleet;
let shift = 0;
/** A signed model release with its own payload (the cloud keys releases by payload sha256). */
const release = (version: string, key = f.keys.privateKey) =>
  modelRelease(writeModelBundle(join(work, version), scaledReadout(base, 1, (shift += 1e-3))), key, version);

beforeAll(async () => {
  f = await startE2eFleet({ fleet: 'device-faults' });
});
afterAll(async () => {
  await f?.close();
  rmSync(work, { recursive: true, force: true });
});

const FINAL = ['succeeded', 'failed', 'rolled-back', 'rejected', 'cancelled'];

describe('device-side faults (real cloud and device)', () => {
  it('refuses a release signed with a wrong key and reports it rejected', async () => {
    const [creds] = await f.provision(['k-dev'], 'f-key');
    const a = startAgent(creds!, { dataDir: join(work, 'k-dev'), model: bundleV1, trust: f.keys.publicKey });
    await waitFor('online', () => f.cloud.registry.getDevice('f-key', 'k-dev')?.online === true);
    const stranger = generateKeys();
    const rollout = await f.publish(release('wrong-key', stranger.privateKey), { fleet: 'f-key' });
    const job = await f.waitForJob(rollout, 'k-dev', FINAL);
    expect(job.state).toBe('rejected');
    expect(job.reason).toMatch(/signature|key/i);
    const status = (await f.api.status('f-key')).devices[0]!;
    expect(status.jobs[0]).toMatchObject({ state: 'rejected', version: 'wrong-key' });
    expect(status.modelVersion).toBeNull();
    expect(a.agent.slots.model.pointer().active).toBeNull();
    await a.finish();

    // A cloud that trusts only the fleet key refuses the upload outright.
    const keyDir = join(work, 'keys');
    writeKeyPair(keyDir, f.keys);
    const strict = await startCloud({
      dataDir: join(work, 'strict-cloud'),
      mqttPort: 0,
      httpPort: 0,
      host: '127.0.0.1',
      trustedKeys: [join(keyDir, 'release.pub')],
      log: () => {},
    });
    try {
      await expect(
        strict.releases.addRelease(encodeReleaseFile(release('x', stranger.privateKey))),
      ).rejects.toThrow(/unknown key/);
    } finally {
      await strict.close();
    }
  });

  it('drops malformed and oversized device messages with a log line and keeps serving', async () => {
    const [bad, good] = await f.provision(['m-bad', 'm-good'], 'f-bad');
    const a = startAgent(good!, { dataDir: join(work, 'm-good'), model: bundleV1, trust: f.keys.publicKey });
    const key = { fleet: 'f-bad', device: 'm-bad' };
    const connect = () =>
      mqtt.connectAsync(f.brokerUrl, {
        username: bad!.username,
        password: bad!.password,
        clientId: bad!.username,
        reconnectPeriod: 0,
      });
    const c = await connect();
    const topic = (s: string) => `lk/v1/f-bad/m-bad/${s}`;
    const before = f.logs.length;
    await c.publishAsync(topic('tel/perf'), '{"seq": 0, "records": [', { qos: 1 });
    await c.publishAsync(topic('tel/hunger'), JSON.stringify({ seq: -1, records: [] }), { qos: 1 });
    await c.publishAsync(topic('birth'), Buffer.from([0xff, 0xfe, 0x00]), { qos: 1, retain: true });
    await c.publishAsync(topic('jobs/nope/update'), '{"state": 12}', { qos: 1 });
    await c.publishAsync(topic('stream/abc/get'), 'not json', { qos: 1 });
    await waitFor('five drop lines', () => f.logs.slice(before).filter((l) => /dropp/.test(l)).length >= 5);
    // 300 KiB is over the broker's 256 KiB bound for a device: the packet is dropped, the connection closed
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.on('error', () => {});
    c.publish(topic('tel/perf'), Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    await closed;
    await c.endAsync(true);
    await waitFor('the oversized packet logged', () =>
      f.logs.slice(before).some((l) => /broker: dropped packet .*connection closed/.test(l)),
    );
    expect(f.cloud.store.count('perf', key) + f.cloud.store.count('hunger', key)).toBe(0);

    // The cloud goes on: the same device's valid batch is stored, and the other device installs a release.
    const again = await connect();
    await again.publishAsync(
      topic('tel/perf'),
      JSON.stringify({ seq: 0, records: [{ t: 1, p50Us: 1, p99Us: 2 }] }),
      { qos: 1 },
    );
    await again.endAsync();
    await waitFor('the valid batch stored', () => f.cloud.store.count('perf', key) === 1);
    await warmedUp(a);
    const rollout = await f.publish(release('after-bad'), { fleet: 'f-bad' });
    expect((await f.waitForJob(rollout, 'm-good', FINAL)).state).toBe('succeeded');
    await a.finish();
  });

  it('comes back on a working slot after being killed during an install, and reports', async () => {
    const [creds] = await f.provision(['x-dev'], 'f-kill');
    const dataDir = join(work, 'x-dev');
    let reached = false;
    const a = startAgent(creds!, {
      dataDir,
      model: bundleV1,
      trust: f.keys.publicKey,
      extra: {
        jobs: {
          onInstallStep: async (step) => {
            if (step !== 'activated') return;
            reached = true;
            await new Promise(() => {});
          },
        },
      },
    });
    await warmedUp(a, 50);
    const rollout = await f.publish(release('k2'), { fleet: 'f-kill' });
    await waitFor('the new slot activated, on trial', () => reached);
    await f.waitForJob(rollout, 'x-dev', ['installing']);
    a.agent.kill();
    a.feed.end();
    await a.done;
    await waitFor('lost', () => f.cloud.registry.getDevice('f-kill', 'x-dev')?.state === 'lost');

    const b = startAgent(creds!, { dataDir, model: bundleV1, trust: f.keys.publicKey });
    const job = await f.waitForJob(rollout, 'x-dev', FINAL);
    expect(job.state).toBe('rolled-back');
    expect(job.reason).toMatch(/restarted before slot . \(k2\) passed its health check/);
    expect(b.agent.slots.model.pointer().active).toBeNull();
    await waitFor('running the working model', () => b.agent.runner.current?.dir === bundleV1);
    await waitFor('online again', () => f.cloud.registry.getDevice('f-kill', 'x-dev')?.state === 'online');
    expect((await f.api.rollout(rollout)).rollout.counts).toMatchObject({ 'rolled-back': 1 });
    await b.finish();
  });
});
