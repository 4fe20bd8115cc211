/**
 * The cloud-side subscriber: an ordinary MQTT client on the operator account, so it works the
 * same against the embedded broker or an external one (DESIGN "Releases and sync (MQTT)").
 * It subscribes at QoS 1 to the device-side topics in handlers/index.ts across every fleet,
 * routes each message by its parsed topic, and logs every message it drops.
 * It uses a persistent session (clean = false, a stable client id), so QoS 1 telemetry sent
 * while it restarts waits in the broker's session store [MQTT-3.1.2-4].
 *
 * With `shareGroup` (several cloud processes on one external broker, store in PostgreSQL) it
 * connects with MQTT 5 and subscribes to `$share/{group}/…` [MQTT-4.8.2], so the broker hands
 * each message to one member of the group; a broker that cannot do that is refused at start
 * with its own reply (ShareUnsupportedError).
 */
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { InputError } from '../../../shared/errors.js';
import { TOPIC_PREFIX, type TopicKind, tryParseTopic } from '../../../shared/types/topics.js';
import { noDelayOnConnect, operatorClientOptions } from '../broker/operator.js';
import type { FleetEvents } from '../events.js';
import type { DeviceRegistryApi, TelemetryStoreApi } from '../store/types.js';
import { INGEST_HANDLERS, type Outcome } from './handlers/index.js';
import type { TelemetryKind } from './kinds/index.js';

export interface TelemetryIngestOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  /** The operator account (broker/operator.ts). */
  readonly username: string;
  readonly password: string;
  readonly store: TelemetryStoreApi;
  readonly registry: DeviceRegistryApi;
  /**
   * Subscribe as a member of this MQTT 5 shared-subscription group (`$share/{group}/…`), so
   * several processes divide the messages between them. @defaultValue none (plain subscriptions)
   */
  readonly shareGroup?: string;
  /**
   * With `shareGroup`: whether this member takes the retained status/birth/reported messages when
   * it subscribes. mosquitto hands them to every member, so a process's connections after its
   * first say no (Retain Handling 2). @defaultValue true
   */
  readonly retainedAtSubscribe?: boolean;
  /**
   * With `shareGroup` (MQTT 5) and a persistent session: how long the broker keeps this member's
   * session (and the QoS 1 messages in flight to it) after it disconnects, in s, so a restarted
   * process with the same client id gets them back [MQTT-3.1.2.11.2]. @defaultValue 300
   */
  readonly sessionExpiryS?: number;
  /**
   * With `shareGroup`: QoS 1 messages the broker may have in flight to this connection
   * (MQTT 5 Receive Maximum). Messages are stored one at a time per connection anyway, so a
   * small window costs little, and it bounds what a killed process held unacknowledged.
   * @defaultValue 8
   */
  readonly receiveMaximum?: number;
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
  readonly events?: Pick<FleetEvents, 'publish' | 'size'>;
}

/** The broker cannot share subscriptions; the message quotes its reply. */
export class ShareUnsupportedError extends InputError {}

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
  const share = o.shareGroup ? `$share/${o.shareGroup}/` : '';
  const filters = kinds.map((kind) => `${share}${TOPIC_PREFIX}/+/+/${kind}`);

  // mqtt.js sends the QoS 1 PUBACK when handleMessage calls back, and reads the next packet of
  // this connection only then: a message is acknowledged only once it is committed (at once on
  // SQLite, after the round trip on PostgreSQL). A store failure (the database unreachable)
  // withholds the PUBACK and drops the connection, so the broker delivers the message again.
  // The handler is in place before CONNECT goes out: a resumed session's queued messages follow
  // the CONNACK at once, and mqtt.js's default handler would acknowledge them unstored.
  let inHand: Promise<unknown> = Promise.resolve();
  const prepare = (c: MqttClient): void => {
    c.handleMessage = (packet, callback) => {
      if (packet.cmd !== 'publish') return callback();
      const topic = packet.topic;
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const handled = handle(topic, payload, packet.retain === true);
      inHand = handled.catch(() => {});
      void handled.then(
        (outcome) => {
          if (outcome.result === 'dropped') log(`dropped message on '${topic}': ${outcome.reason}`);
          if (outcome.result === 'unknown-device')
            log(`message on '${topic}' for a device not in the registry`);
          if (outcome.result === 'conflict') logConflict(topic);
          o.onHandled?.(topic, outcome);
          if (o.events && o.events.size > 0) announce(o.events, topic, payload, outcome);
          callback();
        },
        (err: Error) => {
          log(`cannot store the message on '${topic}', not acknowledged: ${err.message}`);
          c.stream.destroy();
        },
      );
    };
  };
  const client = o.shareGroup
    ? await connectShared(
        o.url,
        {
          ...operatorClientOptions(o),
          properties: {
            receiveMaximum: o.receiveMaximum ?? 8,
            ...(o.persistentSession ? { sessionExpiryInterval: o.sessionExpiryS ?? 300 } : {}),
          },
        },
        prepare,
      )
    : await connectPrepared(o.url, operatorClientOptions(o), prepare);
  noDelayOnConnect(client);

  function logConflict(topic: string): void {
    // the count is a read of its own (a round trip on PostgreSQL): not awaited before the PUBACK
    Promise.resolve(o.store.conflicts()).then(
      (n) =>
        log(
          `batch on '${topic}' reuses a (stream, seq) already stored with other records; stored apart (${n} such batches so far)`,
        ),
      () => log(`batch on '${topic}' reuses a (stream, seq) already stored with other records; stored apart`),
    );
  }

  async function handle(topic: string, payload: Buffer, retained: boolean): Promise<Outcome> {
    const parsed = tryParseTopic(topic);
    const handler = parsed && INGEST_HANDLERS[parsed.kind];
    if (!parsed || !handler) return { result: 'dropped', reason: 'not an ingested topic' };
    let answer: ReturnType<typeof handler>;
    try {
      answer = handler(ctx, { topic: parsed, payload, retained });
    } catch (err) {
      return { result: 'dropped', reason: `handler failed: ${(err as Error).message}` };
    }
    // a store that cannot answer (rejects) is not bad input: the caller withholds the PUBACK
    return answer;
  }

  function announce(
    events: Pick<FleetEvents, 'publish'>,
    topic: string,
    payload: Buffer,
    outcome: Outcome,
  ): void {
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
    // Every shared member would get each retained status/birth/reported at subscribe (mosquitto
    // does): N connections times D devices registry writes queued ahead of telemetry at every
    // start (32 connections, 2,000 devices: 64,000, and no batch stored for over a minute).
    const skipRetained = o.shareGroup !== undefined && o.retainedAtSubscribe === false;
    await client.subscribeAsync(filters, skipRetained ? { qos: 1, rh: 2 } : { qos: 1 });
  } catch (err) {
    await client.endAsync(true);
    const e = err as Error & { code?: number };
    if (o.shareGroup) {
      throw new ShareUnsupportedError(
        `broker ${o.url} refused the shared subscription '${filters[0]}': its SUBACK said '${e.message.replace(/^Subscribe error: /, '')}'${e.code !== undefined ? ` (reason code 0x${e.code.toString(16)})` : ''}`,
        { cause: err },
      );
    }
    throw err;
  }

  return {
    client,
    filters,
    close: o.shareGroup
      ? // A member leaving for good must not keep its share: the broker would park the group's
        // messages in its session [MQTT-4.8.2]. Unsubscribe, finish what it holds, then end the
        // session with the DISCONNECT (Session Expiry 0) [MQTT-3.14.2.2.2].
        async () => {
          if (client.connected) {
            await client.unsubscribeAsync(filters).catch(() => {});
            await inHand;
            await new Promise<void>((resolve) =>
              client.end(false, { properties: { sessionExpiryInterval: 0 } }, () => resolve()),
            );
          } else await client.endAsync(true);
        }
      : () => client.endAsync(),
  };
}

/**
 * mqtt.connectAsync with `prepare` run on the client before its CONNECT goes out (mqtt.js's own
 * connectAsync hands the client over only after the CONNACK, when a resumed session's queued
 * messages may already have been handled): resolves on CONNACK, rejects on the first error.
 */
async function connectPrepared(
  url: string,
  options: IClientOptions,
  prepare: (client: MqttClient) => void,
): Promise<MqttClient> {
  const client = mqtt.connect(url, options);
  prepare(client);
  await new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      client.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      client.off('connect', onConnect);
      client.end();
      reject(err);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
  });
  return client;
}

/**
 * An MQTT 5 connection for a shared-subscription member. Refused (ShareUnsupportedError, with
 * the broker's reply) when the broker answers CONNECT v5 with an error (a 3.1.1-only broker) or
 * says in its CONNACK that it has no shared subscriptions [MQTT-3.2.2.3.15].
 */
export async function connectShared(
  url: string,
  options: IClientOptions,
  /** Called before CONNACK can arrive (a message handler that must see a resumed session's queue). */
  prepare?: (client: MqttClient) => void,
): Promise<MqttClient> {
  const client = mqtt.connect(url, { ...options, protocolVersion: 5, reconnectPeriod: 0 });
  prepare?.(client);
  let connack: IConnackPacket;
  try {
    connack = await new Promise<IConnackPacket>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
  } catch (err) {
    client.end(true);
    const e = err as Error & { code?: unknown };
    // a refused socket is not the broker's answer: say so as the plain ingest would
    if (typeof e.code === 'string') throw err;
    throw new ShareUnsupportedError(
      `broker ${url} cannot take part in MQTT 5 shared subscriptions: it answered an MQTT 5 CONNECT with '${e.message}'`,
      { cause: err },
    );
  }
  if (connack.properties?.sharedSubscriptionAvailable === false) {
    await client.endAsync(true);
    throw new ShareUnsupportedError(
      `broker ${url} has no shared subscriptions: its CONNACK said Shared Subscription Available = 0`,
    );
  }
  // reconnect as usual from now on (the first connect was not retried, to report a refusal at once)
  client.options.reconnectPeriod = options.reconnectPeriod ?? 1000;
  return client;
}
