/**
 * The hunger loop of a shared cloud (cloud/fleet/scale/service.ts) end to end against Debian's
 * mosquitto and a throwaway PostgreSQL, with a key to sign its releases: a device's persistent
 * hunger, sent over MQTT, makes the leader queue discovery; `liquidkan worker --max-jobs 1` runs
 * it; the leader releases the grown library through the shared release service (signed, checked
 * against the trusted key at upload, stored in PostgreSQL) and rolls it out to the hungry fleet;
 * the device gets its job.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoFiles } from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../../cloud/fleet/broker/operator.js';
import type { DeviceCredentials } from '../../cloud/fleet/devices.js';
import { type SharedCloud, startSharedCloud } from '../../cloud/fleet/scale/service.js';
import { type RunningCluster, startCluster } from '../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore } from '../../cloud/fleet/store/postgres/index.js';
import { pgLoopStores } from '../../cloud/fleet/store/postgres/loop.js';
import { WorkQueue } from '../../cloud/fleet/store/postgres/queue.js';
import { generateKeys, keyId, writeKeyPair } from '../../shared/release/keys.js';
import { buildCliOnce, runCli } from '../cli/cli-harness.js';
import { connectDevice, type SimDevice } from '../cloud/fleet/releases/helpers.js';
import { TOOLS } from '../helpers/system-tools.js';

const skip = TOOLS.mosquitto() ?? TOOLS.postgres();

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== null)('the shared cloud’s hunger loop releasing through PostgreSQL', () => {
  let dir: string;
  let url: string;
  let cluster: RunningCluster;
  let broker: RunningMosquitto;
  let creds: DeviceCredentials;
  let device: SimDevice | undefined;
  const keys = generateKeys();
  const clouds: SharedCloud[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    await buildCliOnce();
    dir = mkdtempSync(join(tmpdir(), 'lk-shared-loop-'));
    cluster = await startCluster({ fast: true });
    url = await cluster.createDatabase('cloud');
    const admin = await openPostgresStore({ url, poolSize: 1 });
    creds = await admin.registry.addDevice({ fleet: 'plant', id: 'pi-1' });
    await admin.close();
    broker = await startMosquitto(
      new MosquittoFiles(MosquittoFiles.dirFor(dir))
        .setOperator(loadOrCreateOperator(dir))
        .addDevices([creds]),
    );
    const { privateFile, publicFile } = writeKeyPair(join(dir, 'keys-dir'), keys);
    for (const instance of ['a', 'b']) {
      clouds.push(
        await startSharedCloud({
          dataDir: dir,
          store: url,
          broker: broker.operatorUrl,
          instance,
          ingestConnections: 1,
          httpPort: 0,
          host: '127.0.0.1',
          leaderPollMs: 200,
          trustedKeys: [publicFile],
          loop: {
            thresholds: { windowMs: 600_000, minHungryRecords: 4, minDevices: 1 },
            discovery: { steps: 10, timeoutMs: 60_000 },
            intervalMs: 0,
            debounceMs: 100,
            pollMs: 100,
            signingKeyFile: privateFile,
          },
          log: (l) => {
            logs.push(`[${instance}] ${l}`);
            if (process.env['LK_DEBUG']) process.stderr.write(`[${instance}] ${l}\n`);
          },
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await device?.close();
    for (const c of clouds) await c.close();
    await broker?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues discovery, and releases and rolls out the worker’s library to the hungry fleet', async () => {
    device = await connectDevice(broker.url, creds);
    await device.client.publishAsync('lk/v1/plant/pi-1/status', 'online', { qos: 1, retain: true });
    // layer 0 hungry for |u|, which no classic entry is
    const u = Array.from({ length: 40 }, (_, i) => -2 + i / 10);
    const records = Array.from({ length: 5 }, () => ({
      layer: 0,
      entropy: 0.8,
      gap: 0.3,
      hungry: true,
      samples: { u, phi: u.map(Math.abs) },
    }));
    await device.client.publishAsync(
      'lk/v1/plant/pi-1/tel/hunger',
      JSON.stringify({ stream: 'i-b1', seq: 0, records }),
      { qos: 1 },
    );
    const leader = () => clouds.find((c) => c.leadership.isLeader);
    const queue = new WorkQueue(clouds[0]!.store.pool);
    await until('a discovery job', async () => (await queue.list('discovery')).length > 0);
    await until('the leader to wait on it', () => leader()?.loop()?.status().busy === true);

    const worker = await runCli(['worker', '--store', url, '--id', 'w', '--max-jobs', '1', '--json'], dir);
    expect(worker.code, worker.stderr).toBe(0);
    expect(JSON.parse(worker.stdout)).toEqual({ done: 1 });

    const history = pgLoopStores(clouds[0]!.store.pool).history;
    await until('the cycle recorded', async () => (await history.read()).length > 0, 30_000);
    const [rec] = await history.read();
    expect(rec, logs.join('\n')).toMatchObject({
      fleet: 'plant',
      layer: 0,
      library: { version: 2 },
      outcome: 'released',
      published: true,
      error: null,
      release: { keyId: keyId(keys.publicKey) },
    });
    const sha = rec!.release!.sha256;

    // the release is in the shared store, and a rollout of it to the hungry fleet started
    const store = clouds[0]!.store.releases;
    const release = await store.getRelease(sha);
    expect(release?.manifest).toMatchObject({ kind: 'library', sha256: sha });
    const rollouts = (await store.listRollouts()).filter((r) => r.release === sha);
    expect(rollouts).toHaveLength(1);
    expect(rollouts[0]).toMatchObject({ fleet: 'plant', kind: 'library' });
    expect(['running', 'completed']).toContain(rollouts[0]!.state);

    // the device gets its job, and it is the loop's release
    await until('the job on the device', () => device!.notifies.length > 0);
    expect(device.notifies).toHaveLength(1);
    expect(device.lastNotify()).toMatchObject({
      rolloutId: rollouts[0]!.id,
      streamId: sha,
      cancelled: false,
    });
    // the other process answers its own reads of it too
    for (const c of clouds) expect((await c.store.releases.getRelease(sha))?.id).toBe(sha);
  }, 120_000);
});
