/**
 * `npm run bench -- --only attacks`: the two attack benchmarks of issue 16, against a real cloud
 * (startCloud: embedded broker, stores, release service, HTTP) in a child process, so its
 * resident memory and CPU time are its own.
 *
 *   memory  a device's credentials publish 1,000 retained 200 KiB messages (half on
 *           `jobs/{random}/update`, half on `stream/{random}/get`), then a second device
 *           subscribes to its chunks with a persistent session and stops reading while 300 chunk
 *           answers of 1 MiB go out to it (published in the cloud process on the operator
 *           account, at the release service's QoS). Cloud RSS growth after a GC: target ≤ 20 MB.
 *   login   a device's login time alone, then again right after 200 CONNECTs with bad
 *           credentials from 127.0.0.2 (side by side in one run); and the cloud's CPU seconds
 *           over the flood. Target: the device connects in ≤ 1 s.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { rawConnect } from '../cloud/fleet/broker/raw-connect.js';
import type { DeviceCredentials } from '../cloud/fleet/devices.js';
import { TOPIC_POLICY } from '../shared/types/topics.js';

type Request =
  | { readonly type: 'add'; readonly id: string }
  | { readonly type: 'rss' }
  | { readonly type: 'cpu' }
  | { readonly type: 'retained'; readonly filter: string }
  | { readonly type: 'chunks'; readonly topic: string; readonly count: number; readonly bytes: number };

type Reply =
  | { readonly type: 'ready'; readonly brokerUrl: string }
  | { readonly type: 'added'; readonly creds: DeviceCredentials }
  | {
      readonly type: 'rss';
      readonly bytes: number;
      readonly heap: number;
      readonly heapTotal: number;
      readonly external: number;
    }
  | { readonly type: 'cpu'; readonly us: number }
  | { readonly type: 'retained'; readonly count: number }
  | { readonly type: 'chunks'; readonly sent: number };

const FLEET = 'bench';
const mb = (b: number) => Math.round((b / 1e6) * 10) / 10;

/** The child: a real cloud that answers the parent's requests over IPC. */
export async function attackCloud(): Promise<void> {
  const { startCloud } = await import('../cloud/fleet/service.js');
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-bench-attacks-'));
  const cloud = await startCloud({ dataDir: dir, mqttPort: 0, httpPort: 0, log: () => {} });
  const op = await mqtt.connectAsync(cloud.brokerUrl, { ...cloud.operator, clientId: 'bench-chunks' });
  const send = (m: Reply) => process.send?.(m);
  process.on('message', async (m: Request | { type: 'stop' }) => {
    if (m.type === 'add')
      send({ type: 'added', creds: cloud.registry.addDevice({ fleet: FLEET, id: m.id }) });
    else if (m.type === 'rss') {
      for (let i = 0; i < 3; i++) {
        (globalThis as { gc?: () => void }).gc?.();
        await new Promise((r) => setTimeout(r, 100));
      }
      const mu = process.memoryUsage();
      send({
        type: 'rss',
        bytes: mu.rss,
        heap: mu.heapUsed,
        heapTotal: mu.heapTotal,
        external: mu.external + mu.arrayBuffers,
      });
    } else if (m.type === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', us: u.user + u.system });
    } else if (m.type === 'retained') {
      const peek = await mqtt.connectAsync(cloud.brokerUrl, { ...cloud.operator, clientId: 'bench-peek' });
      let count = 0;
      peek.on('message', (_t, _p, packet) => {
        if (packet.retain) count++;
      });
      await peek.subscribeAsync(m.filter, { qos: 1 });
      await new Promise((r) => setTimeout(r, 500));
      await peek.endAsync(true);
      send({ type: 'retained', count });
    } else if (m.type === 'chunks') {
      const chunk = randomBytes(m.bytes);
      for (let i = 0; i < m.count; i++) {
        await op.publishAsync(m.topic, chunk, { qos: TOPIC_POLICY['stream/data'].qos });
      }
      send({ type: 'chunks', sent: m.count });
    } else if (m.type === 'stop') {
      await op.endAsync(true);
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  send({ type: 'ready', brokerUrl: cloud.brokerUrl });
}

class CloudChild {
  readonly #child: ChildProcess;
  readonly #waiting: ((m: Reply) => void)[] = [];

  constructor() {
    this.#child = fork(process.argv[1]!, ['--attack-cloud'], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: ['--expose-gc'],
    });
    this.#child.on('message', (m: Reply) => this.#waiting.shift()?.(m));
  }

  next<T extends Reply['type']>(type: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push((m) =>
        m.type === type ? resolve(m as Extract<Reply, { type: T }>) : reject(new Error(`got ${m.type}`)),
      );
    });
  }

  ask<T extends Reply['type']>(req: Request, type: T): Promise<Extract<Reply, { type: T }>> {
    const reply = this.next(type);
    this.#child.send(req);
    return reply;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.send({ type: 'stop' });
    });
  }
}

const connect = (url: string, c: DeviceCredentials, extra: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(url, {
    username: c.username,
    password: c.password,
    clientId: c.username,
    reconnectPeriod: 0,
    ...extra,
  });

/** 1,000 retained 200 KiB publishes on the device's own non-retained topics. */
async function retainedFlood(url: string, a: DeviceCredentials): Promise<void> {
  const client = await connect(url, a);
  const big = randomBytes(200 * 1024);
  const prefix = `lk/v1/${FLEET}/${a.id}`;
  for (let i = 0; i < 1000; i++) {
    const rand = randomBytes(6).toString('hex');
    const topic = i % 2 === 0 ? `${prefix}/jobs/${rand}/update` : `${prefix}/stream/${rand}/get`;
    await client.publishAsync(topic, big, { qos: 1, retain: true });
  }
  await client.endAsync();
}

async function memoryAttack(cloud: CloudChild, url: string) {
  const warm = await cloud.ask({ type: 'add', id: 'warm' }, 'added');
  await (await connect(url, warm.creds)).endAsync();
  const b0 = await cloud.ask({ type: 'rss' }, 'rss');
  const before = b0.bytes;

  const a = (await cloud.ask({ type: 'add', id: 'dev-a' }, 'added')).creds;
  await retainedFlood(url, a);
  const afterRetained = await cloud.ask({ type: 'rss' }, 'rss');

  // what the broker kept of them, as a later subscriber would be sent
  const retained = (await cloud.ask({ type: 'retained', filter: `lk/v1/${FLEET}/dev-a/#` }, 'retained'))
    .count;

  const slow = (await cloud.ask({ type: 'add', id: 'slow' }, 'added')).creds;
  const reader = await connect(url, slow, { clean: false });
  await reader.subscribeAsync(`lk/v1/${FLEET}/slow/stream/+/data`, { qos: 1 });
  (reader.stream as unknown as { pause(): void }).pause();
  let dropped = false;
  reader.on('close', () => {
    dropped = true;
  });
  await cloud.ask(
    { type: 'chunks', topic: `lk/v1/${FLEET}/slow/stream/s1/data`, count: 300, bytes: 1 << 20 },
    'chunks',
  );
  (reader.stream as unknown as { resume(): void }).resume();
  await new Promise((r) => setTimeout(r, 500));
  reader.end(true);
  const a1 = await cloud.ask({ type: 'rss' }, 'rss');
  const after = a1.bytes;
  // the same retained flood again: what a bounded cloud adds the second time is about nothing
  await retainedFlood(url, a);
  const again = await cloud.ask({ type: 'rss' }, 'rss');
  return {
    retainedAttempts: 1000,
    retainedMessageBytes: 200 * 1024,
    slowReaderChunks: 300,
    chunkBytes: 1 << 20,
    slowReaderDisconnected: dropped,
    retainedSeenBySubscriber: retained,
    rssBeforeMB: mb(before),
    heapBeforeMB: mb(b0.heap),
    heapAfterMB: mb(a1.heap),
    externalBeforeMB: mb(b0.external),
    externalAfterMB: mb(a1.external),
    rssAfterMB: mb(after),
    rssGrowthMB: mb(after - before),
    rssAfterRetainedMB: mb(afterRetained.bytes),
    heapAfterRetainedMB: mb(afterRetained.heap),
    heapCommittedBeforeMB: mb(b0.heapTotal),
    heapCommittedAfterMB: mb(a1.heapTotal),
    rssGrowthSecondRoundMB: mb(again.bytes - a1.bytes),
    targetMB: 20,
    pass: after - before <= 20e6,
  };
}

async function loginMs(url: string, creds: DeviceCredentials): Promise<number> {
  const t0 = performance.now();
  const c = await connect(url, creds);
  const ms = performance.now() - t0;
  await c.endAsync();
  return Math.round(ms);
}

async function loginAttack(cloud: CloudChild, url: string) {
  const good = (await cloud.ask({ type: 'add', id: 'login-ok' }, 'added')).creds;
  const port = Number(new URL(url).port);
  const alone = await loginMs(url, good);
  const cpu0 = (await cloud.ask({ type: 'cpu' }, 'cpu')).us;
  const flood = Array.from(
    { length: 200 },
    (_, i) =>
      rawConnect(port, '127.0.0.2', {
        clientId: `x${i}`,
        username: `${FLEET}.nobody-${i}`,
        password: 'guess',
      }).done,
  );
  await new Promise((r) => setTimeout(r, 50));
  const underFlood = await loginMs(url, good);
  const codes = await Promise.all(flood);
  const cpu1 = (await cloud.ask({ type: 'cpu' }, 'cpu')).us;
  return {
    badConnects: 200,
    loginAloneMs: alone,
    loginUnderFloodMs: underFlood,
    ratio: Math.round((underFlood / Math.max(1, alone)) * 10) / 10,
    // closed at accept (null) or CONNACK 3: no password check either way
    refusedWithoutCheck: codes.filter((c) => c !== 4).length,
    checkedAndRefused: codes.filter((c) => c === 4).length,
    cloudCpuSeconds: Math.round((cpu1 - cpu0) / 1e4) / 100,
    targetMs: 1000,
    pass: underFlood <= 1000,
  };
}

export async function benchAttacks(): Promise<Record<string, unknown>> {
  const cloud = new CloudChild();
  const { brokerUrl } = await cloud.next('ready');
  try {
    const memory = await memoryAttack(cloud, brokerUrl);
    const login = await loginAttack(cloud, brokerUrl);
    return { memory, login };
  } finally {
    await cloud.stop();
  }
}
