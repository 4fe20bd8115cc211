/**
 * Stored before acknowledged, with the database down (cloud/fleet/telemetry/ingest.ts, shared
 * subscription on mosquitto, store in PostgreSQL): while the server is stopped, the cloud does
 * not PUBACK the batches it cannot store, so the broker keeps them in the cloud's session and
 * hands them over again; once the database is back each is stored exactly once. (With an
 * external broker the device's own PUBACK comes from the broker, which holds the batch from then
 * on: what must not happen is the cloud acknowledging a batch it has not committed.) A member
 * killed and started again under its name stores what its session queued meanwhile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MosquittoFiles } from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { loadOrCreateOperator } from '../../cloud/fleet/broker/operator.js';
import { type RunningCluster, startCluster } from '../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore, type PostgresStore } from '../../cloud/fleet/store/postgres/index.js';
import { startTelemetryIngest, type TelemetryIngest } from '../../cloud/fleet/telemetry/ingest.js';
import { TOOLS } from '../helpers/system-tools.js';

const skip = TOOLS.mosquitto() ?? TOOLS.postgres();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip !== null)('a batch while the database is down (mosquitto + PostgreSQL)', () => {
  let dir: string;
  let cluster: RunningCluster;
  let store: PostgresStore;
  let broker: RunningMosquitto;
  let ingest: TelemetryIngest;
  let device: MqttClient;
  const logs: string[] = [];
  const stored: number[] = [];
  const dev = { fleet: 'plant', device: 'pi-1' };
  const topic = 'lk/v1/plant/pi-1/tel/perf';
  const batch = (seq: number) =>
    JSON.stringify({ stream: 'i1-b1', seq, records: [{ t: seq, p50Us: 1, p99Us: 2 }] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lk-db-down-'));
    cluster = await startCluster({ fast: true });
    store = await openPostgresStore({ url: await cluster.createDatabase('ingest'), connectTimeoutMs: 1000 });
    const operator = loadOrCreateOperator(dir);
    const creds = await store.registry.addDevice({ fleet: dev.fleet, id: dev.device });
    broker = await startMosquitto(
      new MosquittoFiles(MosquittoFiles.dirFor(dir)).setOperator(operator).addDevices([creds]),
    );
    ingest = await startTelemetryIngest({
      url: broker.operatorUrl,
      ...operator,
      clientId: 'lk-cloud-c0-0',
      shareGroup: 'lk-cloud',
      store: store.telemetry,
      registry: store.registry,
      log: (l) => logs.push(l),
      onHandled: (_t, outcome) => {
        if (outcome.result === 'stored') stored.push(Date.now());
      },
    });
    device = await mqtt.connectAsync(broker.url, {
      username: creds.username,
      password: creds.password,
      clientId: creds.username,
    });
  }, 60_000);
  afterAll(async () => {
    await device?.endAsync();
    await ingest?.close();
    await broker?.stop();
    await store?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('withholds the PUBACK while it cannot store, and stores the batch once when the database is back', async () => {
    await device.publishAsync(topic, batch(0), { qos: 1 });
    const until = Date.now() + 10_000;
    while (stored.length < 1 && Date.now() < until) await sleep(20);
    expect(stored).toHaveLength(1);

    await cluster.pause();
    await device.publishAsync(topic, batch(1), { qos: 1 });
    await device.publishAsync(topic, batch(2), { qos: 1 });
    // the cloud tried, could not commit, and did not acknowledge (its connection is dropped so
    // the broker hands the message over again); it keeps trying while the database is down
    const failing = Date.now() + 10_000;
    while (logs.filter((l) => l.includes('not acknowledged')).length < 2 && Date.now() < failing)
      await sleep(20);
    expect(logs.filter((l) => l.includes('not acknowledged')).length).toBeGreaterThanOrEqual(2);
    expect(logs.find((l) => l.includes('not acknowledged'))).toMatch(
      /^cannot store the message on 'lk\/v1\/plant\/pi-1\/tel\/perf', not acknowledged: /,
    );
    expect(stored).toHaveLength(1);

    await cluster.resume();
    const back = Date.now() + 20_000;
    while (stored.length < 3 && Date.now() < back) await sleep(50);
    await sleep(500); // a redelivery of something already stored would show up here
    expect(stored).toHaveLength(3);
    const rows = await store.telemetry.records('perf', dev);
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(await store.telemetry.count('perf')).toBe(3);
    expect(await store.telemetry.conflicts()).toBe(0);
  }, 60_000);

  it('a member back under its name stores every batch its session held while it was away', async () => {
    // killed: the socket drops with no DISCONNECT, so the broker keeps the session and queues
    // the member's share for it
    const before = await store.telemetry.count('perf');
    ingest.client.stream.destroy();
    await ingest.client.endAsync(true);
    for (let seq = 100; seq < 140; seq++) await device.publishAsync(topic, batch(seq), { qos: 1 });
    const handled: string[] = [];
    ingest = await startTelemetryIngest({
      url: broker.operatorUrl,
      ...loadOrCreateOperator(dir),
      clientId: 'lk-cloud-c0-0',
      shareGroup: 'lk-cloud',
      store: store.telemetry,
      registry: store.registry,
      log: (l) => logs.push(l),
      onHandled: (_t, outcome) => handled.push(outcome.result),
    });
    // the queue follows the CONNACK at once: each batch must reach the store, none acknowledged unstored
    const until = Date.now() + 20_000;
    while ((await store.telemetry.count('perf')) < before + 40 && Date.now() < until) await sleep(50);
    expect(await store.telemetry.count('perf')).toBe(before + 40);
    expect(handled.filter((r) => r === 'stored')).toHaveLength(40);
  }, 60_000);

  it("takes the retained statuses on a process's first connection only", async () => {
    await device.publishAsync('lk/v1/plant/pi-1/status', 'online', { qos: 1, retain: true });
    const operator = loadOrCreateOperator(dir);
    const seen = [0, 0];
    const members: TelemetryIngest[] = [];
    for (const [i, retainedAtSubscribe] of [true, false].entries()) {
      members.push(
        await startTelemetryIngest({
          url: broker.operatorUrl,
          ...operator,
          clientId: `lk-cloud-c9-${i}`,
          shareGroup: 'lk-cloud',
          retainedAtSubscribe,
          store: store.telemetry,
          registry: store.registry,
          log: (l) => logs.push(l),
          onHandled: (topic) => {
            if (topic.endsWith('/status')) seen[i]!++;
          },
        }),
      );
    }
    await sleep(1000);
    for (const m of members) await m.close();
    // mosquitto hands every shared member the retained message at subscribe: the first takes it,
    // the second asked not to (without Retain Handling 2 both get it)
    expect(seen).toEqual([1, 0]);
  }, 60_000);
});
