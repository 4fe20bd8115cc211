/**
 * The cloud-side subscriber: an ordinary MQTT client on the operator account, so it works the
 * same against the embedded broker or an external one (DESIGN "Releases and sync (MQTT)").
 * It subscribes at QoS 1 to the device-side topics in handlers/index.ts across every fleet,
 * routes each message by its parsed topic, and logs every message it drops.
 * It uses a persistent session (clean = false, a stable client id), so QoS 1 telemetry sent
 * while it restarts waits in the broker's session store [MQTT-3.1.2-4].
 */
import mqtt, { type MqttClient } from 'mqtt';
import { TOPIC_PREFIX, type TopicKind, tryParseTopic } from '../../../shared/types/topics.js';
import { noDelayOnConnect, operatorClientOptions } from '../broker/operator.js';
import type { DeviceRegistry } from '../devices.js';
import type { FleetEvents } from '../events.js';
import { INGEST_HANDLERS, type Outcome } from './handlers/index.js';
import type { TelemetryKind } from './kinds/index.js';
import type { TelemetryStore } from './store.js';

export interface TelemetryIngestOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  /** The operator account (broker/operator.ts). */
  readonly username: string;
  readonly password: string;
  readonly store: TelemetryStore;
  readonly registry: DeviceRegistry;
  /** @defaultValue 'lk-cloud-ingest' */
  readonly clientId?: string;
  /** Keep the session (and queued QoS 1 messages) across reconnects. @defaultValue true */
  readonly persistentSession?: boolean;
  /** Time to wait for CONNACK, in ms. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  /** One line per dropped message. @defaultValue stderr */
  readonly log?: (line: string) => void;
  /** Called after each message with what became of it (for dashboards and tests). */
  readonly onHandled?: (topic: string, outcome: Outcome) => void;
  /** Where stored batches ('telemetry') and changed device facts ('device') are announced. */
  readonly events?: FleetEvents;
}

/** The telemetry kind each batch topic carries. */
const BATCH_KINDS: Readonly<Partial<Record<TopicKind, TelemetryKind>>> = Object.freeze({
  'tel/hunger': 'hunger',
  'tel/perf': 'perf',
  'evt/drift': 'drift',
  'evt/detection': 'detection',
});

export const INGEST_DEFAULTS = Object.freeze({
  clientId: 'lk-cloud-ingest',
  persistentSession: true,
  connectTimeoutMs: 10_000,
});

export interface TelemetryIngest {
  readonly client: MqttClient;
  /** The filters subscribed to. */
  readonly filters: readonly string[];
  close(): Promise<void>;
}

export async function startTelemetryIngest(options: TelemetryIngestOptions): Promise<TelemetryIngest> {
  const o = { ...INGEST_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`telemetry: ${line}\n`));
  const ctx = { store: o.store, registry: o.registry };
  const kinds = Object.keys(INGEST_HANDLERS) as TopicKind[];
  const filters = kinds.map((kind) => `${TOPIC_PREFIX}/+/+/${kind}`);

  const client = await mqtt.connectAsync(o.url, operatorClientOptions(o));
  noDelayOnConnect(client);
  // Stored synchronously here, before mqtt.js sends the QoS 1 PUBACK (it emits 'message' and
  // then acknowledges): a message is acknowledged only once it is committed. Grouping commits
  // would need the acknowledgements held back, and mqtt.js processes the next packet only after
  // one is sent, so a group would be one message long anyway.
  client.on('message', (topic, payload, packet) => {
    const outcome = handle(topic, payload, packet.retain === true);
    if (outcome.result === 'dropped') log(`dropped message on '${topic}': ${outcome.reason}`);
    if (outcome.result === 'unknown-device') log(`message on '${topic}' for a device not in the registry`);
    if (outcome.result === 'conflict') {
      log(
        `batch on '${topic}' reuses a (stream, seq) already stored with other records; stored apart (${o.store.conflicts()} such batches so far)`,
      );
    }
    o.onHandled?.(topic, outcome);
    if (o.events && o.events.size > 0) announce(o.events, topic, payload, outcome);
  });

  function handle(topic: string, payload: Buffer, retained: boolean): Outcome {
    const parsed = tryParseTopic(topic);
    const handler = parsed && INGEST_HANDLERS[parsed.kind];
    if (!parsed || !handler) return { result: 'dropped', reason: 'not an ingested topic' };
    try {
      return handler(ctx, { topic: parsed, payload, retained });
    } catch (err) {
      return { result: 'dropped', reason: `handler failed: ${(err as Error).message}` };
    }
  }

  function announce(events: FleetEvents, topic: string, payload: Buffer, outcome: Outcome): void {
    const parsed = tryParseTopic(topic);
    if (!parsed) return;
    const { fleet, device } = parsed;
    if (outcome.result === 'updated') {
      events.publish({ type: 'device', fleet, device });
      return;
    }
    const kind = BATCH_KINDS[parsed.kind];
    if ((outcome.result !== 'stored' && outcome.result !== 'conflict') || !kind) return;
    // The handler has validated this batch whole, so its records parse; the listeners get them as sent.
    const records = (JSON.parse(payload.toString('utf8')) as { records: Record<string, unknown>[] }).records;
    events.publish({ type: 'telemetry', kind, fleet, device, records });
  }

  try {
    // mqtt.js rejects when the broker refuses any filter (SUBACK 0x80).
    await client.subscribeAsync(filters, { qos: 1 });
  } catch (err) {
    await client.endAsync(true);
    throw err;
  }

  return {
    client,
    filters,
    close: () => client.endAsync(),
  };
}
