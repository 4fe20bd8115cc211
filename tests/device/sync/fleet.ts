/**
 * A fleet for device sync tests: the embedded broker on an OS-chosen port over a temp data dir
 * (restartable on the same port, as a broker restart would be), the test release server on the
 * operator account, a release key pair, and provisioning of devices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FleetBroker, startFleetBroker } from '../../../cloud/fleet/broker/index.js';
import { DeviceRegistry } from '../../../cloud/fleet/devices.js';
import {
  type Outcome,
  startTelemetryIngest,
  type TelemetryIngest,
  TelemetryStore,
} from '../../../cloud/fleet/telemetry/index.js';
import type { SyncCredentials } from '../../../device/sync/credentials.js';
import { generateKeys, type KeyPair } from '../../../shared/release/keys.js';
import { tryParseTopic } from '../../../shared/types/topics.js';
import { ReleaseServer } from '../../helpers/release-server.js';

export const FLEET = 'sync-fleet';

export interface SyncFleet {
  readonly dir: string;
  readonly registry: DeviceRegistry;
  broker: FleetBroker;
  readonly server: ReleaseServer;
  readonly keys: KeyPair;
  readonly brokerLogs: string[];
  /** The cloud's telemetry store and subscriber, when asked for. */
  readonly store: TelemetryStore | null;
  /** Telemetry messages in the order the subscriber handled them. */
  readonly handled: { topic: string; outcome: Outcome }[];
  /**
   * Telemetry batches in the order the broker received them from devices (retransmissions
   * included): the order devices sent them in. Subscribers may see another order after a broker
   * restart, when aedes delivers a restored session's queue beside live messages.
   */
  readonly received: { device: string; kind: string; stream: string; seq: number }[];
  provision(id: string): SyncCredentials;
  /** Close the broker, wait `downMs`, start it again on the same port and data dir. */
  restartBroker(downMs?: number): Promise<void>;
  /** Close the broker (until startBroker). */
  stopBroker(): Promise<void>;
  /** Start the broker again on its port and data dir. */
  startBroker(): Promise<void>;
  close(): Promise<void>;
}

export async function startSyncFleet(o: { telemetry?: boolean } = {}): Promise<SyncFleet> {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-sync-'));
  const registry = DeviceRegistry.open(dir);
  const brokerLogs: string[] = [];
  const received: SyncFleet['received'] = [];
  const start = async (port: number) => {
    const broker = await startFleetBroker({
      dataDir: dir,
      host: '127.0.0.1',
      port,
      registry,
      log: (l) => brokerLogs.push(l),
    });
    broker.aedes.on('publish', (packet, client) => {
      const t = client ? tryParseTopic(packet.topic) : null;
      if (!t?.kind.startsWith('tel/')) return;
      try {
        const b = JSON.parse(packet.payload.toString()) as { stream: string; seq: number };
        received.push({ device: t.device, kind: t.kind, stream: b.stream, seq: b.seq });
      } catch {
        // a malformed batch is the ingest's business
      }
    });
    return broker;
  };
  const first = await start(0);
  const server = await ReleaseServer.start({
    url: first.url,
    username: first.operator.username,
    password: first.operator.password,
  });
  const handled: SyncFleet['handled'] = [];
  let store: TelemetryStore | null = null;
  let ingest: TelemetryIngest | null = null;
  if (o.telemetry) {
    store = TelemetryStore.open({ dataDir: dir, retentionIntervalMs: 0 });
    ingest = await startTelemetryIngest({
      url: first.url,
      username: first.operator.username,
      password: first.operator.password,
      store,
      registry,
      log: (l) => brokerLogs.push(l),
      onHandled: (topic, outcome) => handled.push({ topic, outcome }),
    });
    // come back quickly after a broker restart
    ingest.client.options.reconnectPeriod = 100;
  }
  const fleet: SyncFleet = {
    dir,
    store,
    handled,
    received,
    registry,
    broker: first,
    server,
    keys: generateKeys(),
    brokerLogs,
    provision: (id) => registry.addDevice({ fleet: FLEET, id, broker: first.url }),
    async restartBroker(downMs = 300) {
      await fleet.stopBroker();
      await new Promise((r) => setTimeout(r, downMs));
      await fleet.startBroker();
    },
    stopBroker: () => fleet.broker.close(),
    async startBroker() {
      fleet.broker = await start(fleet.broker.port);
    },
    async close() {
      await ingest?.close();
      store?.close();
      await server.close();
      await fleet.broker.close();
      registry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
