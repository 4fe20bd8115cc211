/**
 * The device's MQTT session (DESIGN "Releases and sync (MQTT)"). One persistent session
 * (clean = false, client id = the device's username, as the broker requires) that reconnects on
 * its own. On every connect it subscribes to the device's cloud-side topics, then publishes
 * `status` 'online' and `birth` (both retained); its last will sets `status` to 'lost', and a
 * clean stop publishes 'offline' first. Every inbound message goes through handlers/ (size, then
 * schema); a bad one is dropped with one log line and never reaches a listener.
 *
 * Publishing uses each topic's row of TOPIC_POLICY for QoS and retain; a QoS 1 publish resolves
 * at the broker's PUBACK.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Birth, CommandMessage, Desired, JobNotify, JobUpdate } from '../../shared/types/sync.js';
import {
  type CmdName,
  type DeviceRef,
  devicePrefix,
  deviceTopic,
  jobUpdateTopic,
  type PlainTopicKind,
  streamGetTopic,
  TOPIC_POLICY,
  type TopicKind,
} from '../../shared/types/topics.js';
import type { SyncCredentials } from './credentials.js';
import { routeInbound } from './handlers/index.js';

export interface SyncClientOptions {
  readonly credentials: SyncCredentials;
  /** Broker URL. @defaultValue credentials.broker */
  readonly broker?: string;
  /** The `birth` message, built afresh on every connect. */
  readonly birth: () => Birth;
  /** @defaultValue stderr */
  readonly log?: (line: string) => void;
  /** Wait between reconnect attempts, ms. @defaultValue 1000 */
  readonly reconnectPeriodMs?: number;
  /** Time to wait for CONNACK, ms. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  /** MQTT keep-alive, seconds. @defaultValue 30 */
  readonly keepaliveS?: number;
}

export const SYNC_CLIENT_DEFAULTS = Object.freeze({
  reconnectPeriodMs: 1000,
  connectTimeoutMs: 10_000,
  keepaliveS: 30,
});

export interface SyncClientEvents {
  /** Subscribed, and `status` and `birth` are out. */
  connect: [];
  disconnect: [];
  notify: [notify: JobNotify];
  desired: [desired: Desired];
  'stream-data': [sid: string, payload: Uint8Array];
  cmd: [name: CmdName, command: CommandMessage];
}

/** Cloud-side topics of this device (DESIGN rows whose "from" is cloud). */
function subscriptions(ref: DeviceRef): string[] {
  const prefix = devicePrefix(ref);
  return [
    deviceTopic(ref, 'jobs/notify'),
    deviceTopic(ref, 'desired'),
    `${prefix}/stream/+/data`,
    `${prefix}/cmd/+`,
  ];
}

const policy = (kind: TopicKind) => ({ qos: TOPIC_POLICY[kind].qos, retain: TOPIC_POLICY[kind].retain });

export class SyncClient extends EventEmitter<SyncClientEvents> {
  readonly ref: DeviceRef;
  readonly url: string;
  /** Inbound messages dropped as invalid. */
  dropped = 0;
  private client: MqttClient | null = null;
  private readonly o: SyncClientOptions;
  private readonly log: (line: string) => void;
  private ready = false;
  private subscribed = false;

  constructor(options: SyncClientOptions) {
    super();
    this.o = options;
    this.ref = { fleet: options.credentials.fleet, device: options.credentials.id };
    const url = options.broker ?? options.credentials.broker;
    if (!url) throw new Error('SyncClient: no broker URL (options.broker or credentials.broker)');
    this.url = url;
    this.log = options.log ?? ((line) => process.stderr.write(`sync: ${line}\n`));
  }

  /** Connected, subscribed and announced. */
  get connected(): boolean {
    return this.ready && this.client?.connected === true;
  }

  /** Connect in the background; `connect` fires each time the session is up. */
  start(): void {
    if (this.client) return;
    const c = this.o.credentials;
    const options: IClientOptions = {
      clientId: c.username,
      username: c.username,
      password: c.password,
      clean: false,
      reconnectPeriod: this.o.reconnectPeriodMs ?? SYNC_CLIENT_DEFAULTS.reconnectPeriodMs,
      connectTimeout: this.o.connectTimeoutMs ?? SYNC_CLIENT_DEFAULTS.connectTimeoutMs,
      keepalive: this.o.keepaliveS ?? SYNC_CLIENT_DEFAULTS.keepaliveS,
      will: { topic: deviceTopic(this.ref, 'status'), payload: Buffer.from('lost'), ...policy('status') },
    };
    const client = mqtt.connect(this.url, options);
    this.client = client;
    client.on('connect', () => {
      void this.announce(client);
    });
    client.on('close', () => {
      if (!this.ready) return;
      this.ready = false;
      this.safeEmit('disconnect');
    });
    // without a listener an 'error' event would throw; refused logins and socket errors land here
    client.on('error', (err) => this.log(`connection: ${err.message}`));
    client.on('message', (topic, payload) => this.receive(topic, payload));
  }

  private async announce(client: MqttClient): Promise<void> {
    try {
      // once subscribed, mqtt.js resubscribes itself after a reconnect to a broker that lost
      // the session (and the broker keeps the subscriptions of one that did not)
      if (!this.subscribed) {
        await client.subscribeAsync(subscriptions(this.ref), { qos: 1 });
        this.subscribed = true;
      }
      this.ready = true;
      await Promise.all([this.publish('status', 'online'), this.publishBirth()]);
    } catch (err) {
      this.log(`announcing on connect failed: ${(err as Error).message}`);
      return;
    }
    this.safeEmit('connect');
  }

  private receive(topic: string, payload: Buffer): void {
    const r = routeInbound(
      this.ref,
      topic,
      new Uint8Array(payload.buffer, payload.byteOffset, payload.length),
    );
    if (r === 'ignore') return;
    if ('dropped' in r) {
      this.dropped++;
      this.log(`dropped message on '${topic}' (${payload.length} bytes): ${r.dropped}`);
      return;
    }
    if (r.kind === 'notify') this.safeEmit('notify', r.notify);
    else if (r.kind === 'desired') this.safeEmit('desired', r.desired);
    else if (r.kind === 'stream-data') this.safeEmit('stream-data', r.sid, r.payload);
    else this.safeEmit('cmd', r.name, r.command);
  }

  /** A listener's failure is logged, never thrown into mqtt.js. */
  private safeEmit<K extends keyof SyncClientEvents>(event: K, ...args: SyncClientEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: SyncClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log(`${String(event)} handler failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  private send(topic: string, kind: TopicKind, payload: string | Uint8Array): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('sync client not started'));
    const body =
      typeof payload === 'string'
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return client.publishAsync(topic, body, policy(kind)).then(() => undefined);
  }

  /** Publish on one of this device's fixed topics (status, birth, reported, tel/*, evt/drift). */
  publish(kind: PlainTopicKind, payload: string | Uint8Array): Promise<void> {
    return this.send(deviceTopic(this.ref, kind), kind, payload);
  }

  publishBirth(): Promise<void> {
    return this.publish('birth', JSON.stringify(this.o.birth()));
  }

  publishJobUpdate(update: JobUpdate): Promise<void> {
    return this.send(jobUpdateTopic(this.ref, update.jobId), 'jobs/update', JSON.stringify(update));
  }

  requestChunk(sid: string, index: number): Promise<void> {
    return this.send(streamGetTopic(this.ref, sid), 'stream/get', JSON.stringify({ chunk: index }));
  }

  /** Resolves once connected (at once if so); rejects when `signal` fires first. */
  waitConnected(signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.off('connect', done);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', abort, { once: true });
      this.once('connect', done);
    });
  }

  /**
   * Clean stop: `status` 'offline' (when connected, waiting up to `timeoutMs` for its PUBACK),
   * then DISCONNECT, which discards the last will [MQTT-3.1.2-10].
   */
  async stop(timeoutMs = 2000): Promise<void> {
    const client = this.client;
    if (!client) return;
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref())]);
    if (client.connected) {
      await timeout(this.publish('status', 'offline')).catch((err: unknown) =>
        this.log(`offline status not sent: ${(err as Error).message}`),
      );
      if ((await timeout(client.endAsync())) === 'timeout') await client.endAsync(true);
    } else {
      // still connecting (or waiting to reconnect): nothing to say; a socket in the middle of
      // connecting would otherwise outlive end()
      await client.endAsync(true);
      client.stream?.destroy();
    }
    this.ready = false;
    this.client = null;
  }

  /** Drop the connection as a crash would: no DISCONNECT, so the broker publishes the will. */
  kill(): void {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.ready = false;
    client.stream?.destroy();
    client.end(true);
  }
}
