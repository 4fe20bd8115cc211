/**
 * A broker restart keeps the cloud's persistent subscriptions: QoS 1 telemetry a device sends
 * before the cloud's subscriber is back waits for it instead of being acknowledged to nobody.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, expect, it } from 'vitest';
import { startFleetBroker } from '../../../cloud/fleet/broker/index.js';
import { DeviceRegistry } from '../../../cloud/fleet/devices.js';

const dir = mkdtempSync(join(tmpdir(), 'liquidkan-opsessions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('queues telemetry for an operator session that has not reconnected after a broker restart', async () => {
  const registry = DeviceRegistry.open(dir);
  let broker = await startFleetBroker({ dataDir: dir, host: '127.0.0.1', port: 0, registry, log: () => {} });
  const port = broker.port;
  const creds = registry.addDevice({ fleet: 'f', id: 'd1' });
  const operator = { username: broker.operator.username, password: broker.operator.password };
  const opts = { ...operator, clientId: 'cloud-sub', clean: false, reconnectPeriod: 0 };
  const sub = await mqtt.connectAsync(broker.url, opts);
  await sub.subscribeAsync('lk/v1/+/+/tel/perf', { qos: 1 });
  await sub.endAsync();
  await broker.close();
  broker = await startFleetBroker({ dataDir: dir, host: '127.0.0.1', port, registry, log: () => {} });
  try {
    const device = await mqtt.connectAsync(broker.url, {
      username: creds.username,
      password: creds.password,
      clientId: creds.username,
      reconnectPeriod: 0,
    });
    await device.publishAsync('lk/v1/f/d1/tel/perf', '{"stream":"x-b1","seq":0,"records":[{}]}', { qos: 1 });
    await device.endAsync();
    const back = await mqtt.connectAsync(broker.url, { ...opts, resubscribe: false });
    const got = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('nothing delivered to the returning session')), 5000);
      back.on('message', (topic) => {
        clearTimeout(t);
        resolve(topic);
      });
    });
    expect(got).toBe('lk/v1/f/d1/tel/perf');
    await back.endAsync();
  } finally {
    await broker.close();
    registry.close();
  }
});
