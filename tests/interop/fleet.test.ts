/**
 * One scenario against both brokers (issue 6, item 6: the same cloud and device code runs on
 * Debian's mosquitto as on the embedded aedes): a real DeviceAgent gets a model release published
 * through the cloud's HTTP API, installs it and reports; its telemetry reaches the store; a device
 * publishing on another device's topics is denied (Mosquitto acknowledges and drops, aedes closes
 * the connection: either way nothing arrives); wrong credentials are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceCredentials } from '../../cloud/fleet/devices.js';
import type { Release } from '../../shared/release/create.js';
import { baseModel, modelRelease, scaledReadout, writeModelBundle } from '../device/sync/models.js';
import {
  type BrokerKind,
  type E2eFleet,
  type RunningAgent,
  startAgent,
  startE2eFleet,
  waitFor,
  warmedUp,
} from '../e2e/harness.js';
import { TOOLS } from '../helpers/system-tools.js';

const work = mkdtempSync(join(tmpdir(), 'liquidkan-interop-'));
const base = baseModel();
const bundleV1 = writeModelBundle(join(work, 'v1'), base);
const bundleV2 = writeModelBundle(join(work, 'v2'), scaledReadout(base, 1, 1e-3));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const brokers: BrokerKind[] = ['embedded', 'mosquitto'];
const noMosquitto = TOOLS.mosquitto();

// without mosquitto its half is skipped, and the skip summary names the package (system-tools.ts)
for (const kind of brokers)
  describe.skipIf(kind === 'mosquitto' && noMosquitto !== null)(`fleet sync on the ${kind} broker`, () => {
    let f: E2eFleet;
    let d1: DeviceCredentials;
    let d2: DeviceCredentials;
    let agent: RunningAgent;
    let m2: Release;

    beforeAll(async () => {
      f = await startE2eFleet({ kind, fleet: 'interop' });
      [d1, d2] = (await f.provision(['dev-1', 'dev-2'])) as [DeviceCredentials, DeviceCredentials];
      m2 = modelRelease(bundleV2, f.keys.privateKey, 'm2');
      agent = startAgent(d1, {
        dataDir: join(work, kind, 'dev-1'),
        model: bundleV1,
        trust: f.keys.publicKey,
      });
    });
    afterAll(async () => {
      await agent?.finish();
      await f?.close();
    });

    it('installs a release published through the HTTP API and reports it', async () => {
      await waitFor('dev-1 online', () => f.cloud.registry.getDevice('interop', 'dev-1')?.online === true);
      await warmedUp(agent);
      const rollout = await f.publish(m2);
      const job = await f.waitForJob(rollout, 'dev-1', ['succeeded', 'failed', 'rolled-back', 'rejected']);
      expect(job).toMatchObject({ state: 'succeeded' });
      await waitFor(
        'reported m2',
        () => f.cloud.registry.getDevice('interop', 'dev-1')?.modelVersion === 'm2',
      );
      const status = (await f.api.status('interop')).devices.find((d) => d.id === 'dev-1');
      expect(status).toMatchObject({ online: true, modelVersion: 'm2' });
      expect(status?.jobs[0]).toMatchObject({ state: 'succeeded', version: 'm2' });
      await waitFor(
        'the run on m2',
        () => agent.agent.runner.current?.dir === agent.agent.slots.model.activeDir(),
      );
    });

    it('stores the device telemetry', async () => {
      const key = { fleet: 'interop', device: 'dev-1' };
      await waitFor('perf telemetry stored', () => f.cloud.store.count('perf', key) >= 2);
      expect(f.cloud.store.records('perf', key)[0]!.record).toMatchObject({ p50Us: expect.any(Number) });
    });

    it("denies a device publishing on another device's topics", async () => {
      const watcher = await f.operatorClient(`watch-${kind}`);
      const seen: string[] = [];
      watcher.on('message', (topic, payload) => {
        if (payload.includes('spoof')) seen.push(topic);
      });
      await watcher.subscribeAsync('lk/v1/interop/dev-1/#', { qos: 1 });
      const spoofer = await mqtt.connectAsync(f.brokerUrl, {
        username: d2.username,
        password: d2.password,
        clientId: d2.username,
        reconnectPeriod: 0,
      });
      spoofer.on('error', () => {});
      const closed = new Promise<void>((r) => spoofer.once('close', () => r()));
      const batch = JSON.stringify({ stream: 'spoof', seq: 0, records: [{ t: 1, p50Us: 1, p99Us: 2 }] });
      // aedes closes the connection at the first denied PUBLISH; Mosquitto acknowledges it and drops it
      await Promise.race([
        (async () => {
          await spoofer.publishAsync('lk/v1/interop/dev-1/tel/perf', batch, { qos: 1 });
          await spoofer.publishAsync('lk/v1/interop/dev-1/status', 'spoof', { qos: 1, retain: true });
          await spoofer.publishAsync('lk/v1/interop/dev-1/jobs/x/update', 'spoof', { qos: 1 });
        })(),
        closed,
      ]);
      await spoofer.endAsync(true);

      // dev-2's own telemetry, sent after the spoof, arrives: so the spoof had its chance
      const honest = await mqtt.connectAsync(f.brokerUrl, {
        username: d2.username,
        password: d2.password,
        clientId: d2.username,
        reconnectPeriod: 0,
      });
      const own = JSON.stringify({ stream: 'own', seq: 0, records: [{ t: 1, p50Us: 1, p99Us: 2 }] });
      await honest.publishAsync('lk/v1/interop/dev-2/tel/perf', own, { qos: 1 });
      await honest.endAsync();
      await waitFor(
        'dev-2 telemetry',
        () => f.cloud.store.count('perf', { fleet: 'interop', device: 'dev-2' }) === 1,
      );
      await watcher.endAsync(true);

      expect(seen).toEqual([]);
      const streams = f.cloud.store
        .records('perf', { fleet: 'interop', device: 'dev-1' })
        .map((r) => r.stream);
      expect(streams).not.toContain('spoof');
      expect(f.cloud.registry.getDevice('interop', 'dev-1')?.state).toBe('online');
    });

    it('refuses wrong credentials', async () => {
      const refused = /Bad username or password|Not authorized/;
      const attempt = (username: string, password: string) =>
        mqtt.connectAsync(f.brokerUrl, { username, password, clientId: username, reconnectPeriod: 0 });
      await expect(attempt(d1.username, 'not-the-password')).rejects.toThrow(refused);
      await expect(attempt('interop.nobody', d1.password)).rejects.toThrow(refused);
      await expect(attempt(f.cloud.operator.username, d1.password)).rejects.toThrow(refused);
    });
  });
