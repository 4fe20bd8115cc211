/**
 * The release service's MQTT side: an ordinary client on the operator account, so it works the
 * same against the embedded broker or an external one (DESIGN "Releases and sync (MQTT)"). It
 * subscribes at QoS 1 to every device's `jobs/{id}/update` and `stream/{sid}/get`, hands each
 * message to its handler by topic kind, and publishes the cloud-side rows (`jobs/notify`,
 * `desired`, `stream/{sid}/data`, `cmd/…`) with the QoS and retain flag of TOPIC_POLICY.
 * A persistent session keeps job updates sent while the cloud restarts [MQTT-3.1.2-4].
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
  readonly onJobUpdate: (topic: ParsedTopic, payload: Buffer) => void;
  /** A message on `stream/{sid}/get`. */
  readonly onStreamGet: (topic: ParsedTopic, payload: Buffer) => void;
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

  private constructor(client: MqttClient, log: (line: string) => void) {
    this.client = client;
    this.#log = log;
  }

  static async start(options: ReleasePublisherOptions): Promise<ReleasePublisher> {
    const o = { ...PUBLISHER_DEFAULTS, ...options };
    const client = mqtt.connect(o.url, operatorClientOptions(o));
    noDelayOnConnect(client);
    const route: Partial<Record<TopicKind, (t: ParsedTopic, p: Buffer) => void>> = {
      'jobs/update': o.onJobUpdate,
      'stream/get': o.onStreamGet,
    };
    // The handler is in place before CONNACK, so messages queued in the session are not missed.
    client.on('message', (topic, payload) => {
      const parsed = tryParseTopic(topic);
      const handler = parsed && route[parsed.kind];
      if (!parsed || !handler) {
        o.log(`dropped message on '${topic}': not a release topic`);
        return;
      }
      try {
        handler(parsed, payload);
      } catch (err) {
        o.log(`dropped message on '${topic}': handler failed: ${(err as Error).message}`);
      }
    });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
      });
      await client.subscribeAsync([...RELEASE_FILTERS], { qos: 1 });
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    client.on('error', (err) => o.log(`mqtt: ${err.message}`));
    return new ReleasePublisher(client, o.log);
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

  close(): Promise<void> {
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
