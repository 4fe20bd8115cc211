/**
 * The release service's MQTT side: an ordinary client on the operator account, so it works the
 * same against the embedded broker or an external one (DESIGN "Releases and sync (MQTT)"). It
 * subscribes at QoS 1 to every device's `jobs/{id}/update` and `stream/{sid}/get`, hands each
 * message to its handler by topic kind, and publishes the cloud-side rows (`jobs/notify`,
 * `desired`, `stream/{sid}/data`, `cmd/…`) with the QoS and retain flag of TOPIC_POLICY.
 * A persistent session keeps job updates sent while the cloud restarts [MQTT-3.1.2-4].
 *
 * With `shareGroup` (several cloud processes on one external broker, scale/service.ts) it
 * connects with MQTT 5 and subscribes through `$share/{group}/…`, so each job update and chunk
 * request goes to one process. A handler may return a promise (a store over the network): the
 * PUBACK waits for it, so a job update is acknowledged only once stored, and a handler that
 * rejects (the store unreachable) drops the connection unacknowledged for the broker to resend.
 */
import mqtt, { type MqttClient } from 'mqtt';
import {
  type CmdName,
  cmdTopic,
  type DeviceRef,
  deviceTopic,
  type ParsedTopic,
  streamDataTopic,
  TOPIC_POLICY,
  TOPIC_PREFIX,
  type TopicKind,
  tryParseTopic,
} from '../../../shared/types/topics.js';
import { noDelayOnConnect, operatorClientOptions } from '../broker/operator.js';
import { connectShared } from '../telemetry/ingest.js';

/** Handles one message; a promise it returns delays the PUBACK until it settles (undefined: at once). */
export type MessageHandler = (topic: ParsedTopic, payload: Buffer) => Promise<unknown> | undefined;

export interface ReleasePublisherOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  /** The operator account (broker/operator.ts). */
  readonly username: string;
  readonly password: string;
  /** @defaultValue 'lk-cloud-releases' */
  readonly clientId?: string;
  /** Keep the session (queued job updates) across reconnects. @defaultValue true */
  readonly persistentSession?: boolean;
  /** Time to wait for CONNACK, in ms. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  readonly log: (line: string) => void;
  /** A message on `jobs/{id}/update` (the topic is parsed; the payload untrusted). */
  readonly onJobUpdate: MessageHandler;
  /** A message on `stream/{sid}/get`. */
  readonly onStreamGet: MessageHandler;
  /** Subscribe as a member of this MQTT 5 shared-subscription group (`$share/{group}/…`). */
  readonly shareGroup?: string;
  /** With `shareGroup`: how long the broker keeps this member's session after it goes, in s. @defaultValue 300 */
  readonly sessionExpiryS?: number;
  /**
   * Called with the publisher before CONNACK: messages a resumed session holds (chunk requests
   * queued while the process was down) are handled at once, and their answers need it.
   */
  readonly onCreated?: (publisher: ReleasePublisher) => void;
}

export const PUBLISHER_DEFAULTS = Object.freeze({
  clientId: 'lk-cloud-releases',
  persistentSession: true,
  connectTimeoutMs: 10_000,
});

/** The filters the publisher subscribes to. */
export const RELEASE_FILTERS: readonly string[] = Object.freeze([
  `${TOPIC_PREFIX}/+/+/jobs/+/update`,
  `${TOPIC_PREFIX}/+/+/stream/+/get`,
]);

export class ReleasePublisher {
  readonly client: MqttClient;
  readonly #log: (line: string) => void;
  /** The shared filters, when a member of a shared group: unsubscribed on close. */
  readonly #shared: readonly string[] | null;
  /** The message being handled (its PUBACK waits for it). */
  readonly #inHand: { current: Promise<unknown> };

  private constructor(
    client: MqttClient,
    log: (line: string) => void,
    shared: readonly string[] | null,
    inHand: { current: Promise<unknown> },
  ) {
    this.client = client;
    this.#log = log;
    this.#shared = shared;
    this.#inHand = inHand;
  }

  static async start(options: ReleasePublisherOptions): Promise<ReleasePublisher> {
    const o = { ...PUBLISHER_DEFAULTS, ...options };
    const route: Partial<Record<TopicKind, MessageHandler>> = {
      'jobs/update': o.onJobUpdate,
      'stream/get': o.onStreamGet,
    };
    const handle = (topic: string, payload: Buffer): Promise<unknown> | undefined => {
      const parsed = tryParseTopic(topic);
      const handler = parsed && route[parsed.kind];
      if (!parsed || !handler) {
        o.log(`dropped message on '${topic}': not a release topic`);
        return;
      }
      try {
        return handler(parsed, payload);
      } catch (err) {
        o.log(`dropped message on '${topic}': handler failed: ${(err as Error).message}`);
      }
    };
    const share = o.shareGroup ? `$share/${o.shareGroup}/` : '';
    const filters = o.shareGroup ? RELEASE_FILTERS.map((f) => `${share}${f}`) : null;
    const inHand: { current: Promise<unknown> } = { current: Promise.resolve() };
    // The handler is in place before CONNACK, so messages queued in the session are not missed;
    // mqtt.js sends the PUBACK when handleMessage calls back.
    const prepare = (client: MqttClient) => {
      client.handleMessage = (packet, callback) => {
        if (packet.cmd !== 'publish') return callback();
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        const answer = handle(packet.topic, payload);
        if (!answer) return callback();
        inHand.current = answer.catch(() => {});
        answer.then(
          () => callback(),
          (err: Error) => {
            o.log(`cannot handle the message on '${packet.topic}', not acknowledged: ${err.message}`);
            client.stream.destroy();
          },
        );
      };
      noDelayOnConnect(client);
      o.onCreated?.(new ReleasePublisher(client, o.log, filters, inHand));
    };
    let client: MqttClient;
    if (o.shareGroup) {
      client = await connectShared(
        o.url,
        {
          ...operatorClientOptions(o),
          ...(o.persistentSession ? { properties: { sessionExpiryInterval: o.sessionExpiryS ?? 300 } } : {}),
        },
        prepare,
      );
    } else {
      client = mqtt.connect(o.url, operatorClientOptions(o));
      prepare(client);
    }
    try {
      if (!o.shareGroup) {
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', reject);
        });
      }
      await client.subscribeAsync(filters ?? [...RELEASE_FILTERS], { qos: 1 });
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    client.on('error', (err) => o.log(`mqtt: ${err.message}`));
    return new ReleasePublisher(client, o.log, filters, inHand);
  }

  /** `jobs/notify` (retained) or `desired` (retained): JSON to one device. */
  publishDeviceJson(ref: DeviceRef, kind: 'jobs/notify' | 'desired', message: unknown): void {
    this.#publish(kind, deviceTopic(ref, kind), JSON.stringify(message));
  }

  /** `cmd/{name}`: a command to one device. */
  publishCommand(ref: DeviceRef, name: CmdName, message: unknown): void {
    this.#publish('cmd', cmdTopic(ref, name), JSON.stringify(message));
  }

  /** `stream/{sid}/data`: a chunk frame, or a JSON StreamError. */
  publishStreamData(ref: DeviceRef, sid: string, data: Uint8Array | string): void {
    this.#publish('stream/data', streamDataTopic(ref, sid), data);
  }

  /**
   * A member of a shared group leaving for good must not keep its share (the broker would park
   * the group's job updates and chunk requests in its session): unsubscribe, then end the session
   * with the DISCONNECT (Session Expiry 0), as the shared ingest does (telemetry/ingest.ts).
   */
  async close(): Promise<void> {
    const shared = this.#shared;
    if (shared && this.client.connected) {
      await this.client.unsubscribeAsync([...shared]).catch(() => {});
      await this.#inHand.current;
      await new Promise<void>((resolve) =>
        this.client.end(false, { properties: { sessionExpiryInterval: 0 } }, () => resolve()),
      );
      return;
    }
    return this.client.endAsync();
  }

  #publish(kind: TopicKind, topic: string, payload: Uint8Array | string): void {
    const { qos, retain } = TOPIC_POLICY[kind];
    const bytes =
      typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    this.client.publish(topic, bytes, { qos, retain }, (err) => {
      if (err) this.#log(`publish to '${topic}' failed: ${err.message}`);
    });
  }
}
