/**
 * Ingest shared by several cloud processes (cloud/fleet/telemetry/ingest.ts with `shareGroup`):
 * against Debian's mosquitto and a throwaway PostgreSQL, two members of one MQTT 5 shared
 * subscription divide a device's batches, each batch is stored once (a resent batch is removed
 * by the database), and the embedded aedes broker, which has no MQTT 5, is refused with its reply.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleetBroker } from '../../cloud/fleet/broker/broker.js';
import { MosquittoFiles } from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../../cloud/fleet/broker/operator.js';
import { DeviceRegistry } from '../../cloud/fleet/devices.js';
import { type RunningCluster, startCluster } from '../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore, type PostgresStore } from '../../cloud/fleet/store/postgres/index.js';
import {
  ShareUnsupportedError,
  startTelemetryIngest,
  type TelemetryIngest,
} from '../../cloud/fleet/telemetry/ingest.js';
import { TelemetryStore } from '../../cloud/fleet/telemetry/store.js';
import { TOOLS } from '../helpers/system-tools.js';

const skip = TOOLS.mosquitto() ?? TOOLS.postgres();

describe.skipIf(skip !== null)('ingest shared by two cloud processes (mosquitto + PostgreSQL)', () => {
  let dir: string;
  let cluster: RunningCluster;
  let store: PostgresStore;
  let broker: RunningMosquitto;
  const ingests: TelemetryIngest[] = [];
  const handledBy = [0, 0];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lk-shared-ingest-'));
    cluster = await startCluster({ fast: true });
    store = await openPostgresStore({ url: await cluster.createDatabase('ingest') });
    const operator = loadOrCreateOperator(dir);
    const creds = await store.registry.addDevice({ fleet: 'plant', id: 'pi-1' });
    broker = await startMosquitto(
      new MosquittoFiles(MosquittoFiles.dirFor(dir)).setOperator(operator).addDevices([creds]),
    );
    for (const i of [0, 1]) {
      ingests.push(
        await startTelemetryIngest({
          url: broker.operatorUrl,
          ...operator,
          clientId: `lk-cloud-ingest-${i}`,
          shareGroup: 'lk-cloud',
          store: store.telemetry,
          registry: store.registry,
          log: () => {},
          onHandled: (_t, outcome) => {
            if (outcome.result === 'stored' || outcome.result === 'duplicate') handledBy[i]!++;
          },
        }),
      );
    }
    const device = await mqtt.connectAsync(broker.url, {
      username: creds.username,
      password: creds.password,
      clientId: creds.username,
    });
    const topic = 'lk/v1/plant/pi-1/tel/perf';
    const batch = (seq: number) =>
      JSON.stringify({ stream: 'boot-1', seq, records: [{ t: seq, p50Us: 1, p99Us: 2 }] });
    // 200 batches, then the first 20 again (a device resending what it had not seen acknowledged)
    await Promise.all(
      Array.from({ length: 200 }, (_, seq) => device.publishAsync(topic, batch(seq), { qos: 1 })),
    );
    await Promise.all(
      Array.from({ length: 20 }, (_, seq) => device.publishAsync(topic, batch(seq), { qos: 1 })),
    );
    await device.endAsync();
    const deadline = Date.now() + 20_000;
    while (handledBy[0]! + handledBy[1]! < 220 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(async () => {
    for (const i of ingests) await i.close();
    await broker?.stop();
    await store?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('subscribes through $share and divides the messages between the members', () => {
    expect(ingests[0]!.filters).toContain('$share/lk-cloud/lk/v1/+/+/tel/perf');
    expect(handledBy[0]! + handledBy[1]!).toBe(220);
    expect(handledBy[0]).toBeGreaterThan(20);
    expect(handledBy[1]).toBeGreaterThan(20);
  });

  it('stores every batch once: resent batches are removed by the database', async () => {
    expect(await store.telemetry.count('perf')).toBe(200);
    const seqs = (await store.telemetry.records('perf', { fleet: 'plant', device: 'pi-1' })).map(
      (r) => r.seq,
    );
    expect(new Set(seqs).size).toBe(200);
  });
});

describe('ingest asked to share on a broker without MQTT 5', () => {
  it("refuses the embedded aedes broker, quoting the broker's reply", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-shared-aedes-'));
    const registry = DeviceRegistry.open(dir);
    const store = TelemetryStore.open({ dataDir: dir });
    const broker = await startFleetBroker({
      dataDir: dir,
      host: '127.0.0.1',
      port: 0,
      registry,
      log: () => {},
    });
    try {
      const err = await startTelemetryIngest({
        url: broker.url,
        ...broker.operator,
        shareGroup: 'lk-cloud',
        store,
        registry,
        log: () => {},
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShareUnsupportedError);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^broker ${broker.url} cannot take part in MQTT 5 shared subscriptions: it answered an MQTT 5 CONNECT with '.+'$`,
        ),
      );
    } finally {
      await broker.close();
      store.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
