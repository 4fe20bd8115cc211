/**
 * A fleet on 127.0.0.1 for tests: a registry in a temp dir, the embedded broker on an OS-chosen
 * port, the telemetry store and the cloud subscriber; plus device clients. Everything it starts
 * is closed by `close()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  type FleetBroker,
  type FleetBrokerOptions,
  startFleetBroker,
} from '../../../cloud/fleet/broker/index.js';
import { type DeviceCredentials, DeviceRegistry } from '../../../cloud/fleet/devices.js';
import {
  type Outcome,
  startTelemetryIngest,
  type TelemetryIngest,
  TelemetryStore,
} from '../../../cloud/fleet/telemetry/index.js';

export interface Fleet {
  readonly dir: string;
  readonly registry: DeviceRegistry;
  readonly broker: FleetBroker;
  readonly store: TelemetryStore;
  readonly ingest: TelemetryIngest;
  readonly logs: string[];
  readonly handled: { topic: string; outcome: Outcome }[];
  /** Provisions a device and connects it; closed with the fleet. */
  device(id: string, options?: IClientOptions): Promise<{ client: MqttClient; creds: DeviceCredentials }>;
  /** Connects an arbitrary client (closed with the fleet). */
  connect(options: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

export const FLEET = 'test-fleet';

/**
 * Polls `check` until it holds. The limit only decides how long a failure takes to report: a
 * passing wait returns at once, and two test workers on two shared cores can stretch a rollout's
 * few seconds well past 5.
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function startFleet(brokerOptions: Partial<FleetBrokerOptions> = {}): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-fleet-'));
  const logs: string[] = [];
  const handled: { topic: string; outcome: Outcome }[] = [];
  const clients: MqttClient[] = [];
  const registry = DeviceRegistry.open(dir);
  const broker = await startFleetBroker({
    dataDir: dir,
    host: '127.0.0.1',
    port: 0,
    registry,
    log: (line) => logs.push(line),
    ...brokerOptions,
  });
  const store = TelemetryStore.open({ dataDir: dir, retentionIntervalMs: 0 });
  const ingest = await startTelemetryIngest({
    url: broker.url,
    username: broker.operator.username,
    password: broker.operator.password,
    store,
    registry,
    log: (line) => logs.push(line),
    onHandled: (topic, outcome) => handled.push({ topic, outcome }),
  });

  async function connect(options: IClientOptions): Promise<MqttClient> {
    const client = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('closed before CONNACK')));
    });
    return client;
  }

  return {
    dir,
    registry,
    broker,
    store,
    ingest,
    logs,
    handled,
    connect,
    async device(id, options = {}) {
      const creds = registry.addDevice({ fleet: FLEET, id });
      const client = await connect({
        clientId: creds.username,
        username: creds.username,
        password: creds.password,
        ...options,
      });
      return { client, creds };
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await ingest.close();
      await broker.close();
      store.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function topic(id: string, suffix: string): string {
  return `lk/v1/${FLEET}/${id}/${suffix}`;
}

/** Resolves when the client's connection closes. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.connected) resolve();
    else client.once('close', () => resolve());
  });
}
