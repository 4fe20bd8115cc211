/**
 * Issue 16, item 1: one device's credentials must not grow the cloud's memory. The attacks run
 * against the real embedded broker (aedes) in this process:
 * - retained messages on topics the DESIGN table does not retain are delivered unretained, so
 *   nothing outlives the connection or replays to later subscribers; a retained `birth` over
 *   MAX_CONTROL_BYTES is refused;
 * - a device that subscribes to its chunks and stops reading loses its connection once more
 *   than the broker's queue bound waits for it (not the broker its memory); chunks go out at
 *   QoS 0, so its persistent session queues none while it is away;
 * - chunk answers are rate-bounded per device (ChunkRateLimiter).
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChunkRateLimiter } from '../../../../cloud/fleet/releases/chunk-rate.js';
import { TOPIC_POLICY } from '../../../../shared/types/topics.js';
import { closed, FLEET, type Fleet, startFleet, topic, waitFor } from '../helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ maxQueuedBytes: 2 * 1024 * 1024 });
});
afterAll(() => fleet.close());

/** Retained messages a fresh subscriber to `filter` is sent within `ms`. */
async function retainedUnder(filter: string, ms = 300): Promise<string[]> {
  const op = fleet.broker.operator;
  const seen: string[] = [];
  const c = await fleet.connect({ clientId: `peek-${randomBytes(3).toString('hex')}`, ...op });
  c.on('message', (t, _p, packet) => {
    if (packet.retain) seen.push(t);
  });
  await c.subscribeAsync(filter, { qos: 1 });
  await new Promise((r) => setTimeout(r, ms));
  await c.endAsync(true);
  return seen;
}

describe('retained messages from a device', () => {
  it('are kept only on status, birth and reported; the rest are delivered unretained', async () => {
    const { client } = await fleet.device('ret-a');
    const big = randomBytes(200 * 1024);
    for (let i = 0; i < 20; i++) {
      const rand = randomBytes(6).toString('hex');
      await client.publishAsync(topic('ret-a', `jobs/${rand}/update`), big, { qos: 1, retain: true });
      await client.publishAsync(topic('ret-a', `stream/${rand}/get`), big, { qos: 1, retain: true });
    }
    await client.publishAsync(topic('ret-a', 'status'), 'online', { qos: 1, retain: true });
    expect(client.connected).toBe(true);
    await client.endAsync();
    const left = await retainedUnder(`lk/v1/${FLEET}/ret-a/#`);
    expect(left).toEqual([topic('ret-a', 'status')]);
    expect(fleet.logs.filter((l) => l.includes('retain flag refused')).length).toBe(40);
  });

  it('refuses a retained birth over the control-message bound', async () => {
    const { client } = await fleet.device('ret-b');
    client.publish(topic('ret-b', 'birth'), randomBytes(100 * 1024), { qos: 1, retain: true });
    await closed(client);
    expect(await retainedUnder(`lk/v1/${FLEET}/ret-b/#`)).toEqual([]);
    expect(fleet.logs.some((l) => /denied retained publish of 102400 bytes/.test(l))).toBe(true);
  });
});

describe('a device that stops reading its chunks', () => {
  it('loses its connection past the queue bound, and its session queues no chunk while away', async () => {
    const { client, creds } = await fleet.device('slow', { clean: false });
    await client.subscribeAsync(topic('slow', 'stream/+/data'), { qos: 1 });
    // stop reading: the kernel buffers fill, then the broker's queue for this connection
    (client.stream as unknown as { pause(): void }).pause();
    const op = fleet.broker.operator;
    const cloud: MqttClient = await fleet.connect({ clientId: 'chunk-sender', ...op });
    const chunk = randomBytes(1024 * 1024);
    // as the release publisher sends chunks (the DESIGN table's policy)
    const chunkQos = { qos: TOPIC_POLICY['stream/data'].qos };
    const refused = () =>
      fleet.logs.some((l) => /bytes unread by the peer, over the 2097152-byte bound/.test(l));
    for (let i = 0; i < 64 && !refused(); i++) {
      await cloud.publishAsync(topic('slow', 'stream/s1/data'), chunk, chunkQos);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor('the broker to drop the slow reader', refused);
    // reading again, the device finds its connection closed
    const gone = closed(client);
    (client.stream as unknown as { resume(): void }).resume();
    await gone;
    // chunks published while it is away are not kept for its persistent session
    for (let i = 0; i < 4; i++) await cloud.publishAsync(topic('slow', 'stream/s1/data'), chunk, chunkQos);
    const back = await fleet.connect({
      clientId: creds.username,
      username: creds.username,
      password: creds.password,
      clean: false,
    });
    let got = 0;
    back.on('message', () => got++);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toBe(0);
    await waitFor('the reconnected device', () => back.connected);
  });
});

describe('chunk answers per device', () => {
  it('are bounded by a token bucket and refill with time', () => {
    let now = 0;
    const rate = new ChunkRateLimiter({ bytesPerSecond: 1000, burstBytes: 3000, now: () => now });
    expect([1, 2, 3, 4].map(() => rate.take('f/a', 1000))).toEqual([true, true, true, false]);
    expect(rate.take('f/b', 1000)).toBe(true);
    now += 1000;
    expect(rate.take('f/a', 1000)).toBe(true);
    expect(rate.take('f/a', 1000)).toBe(false);
    expect(rate.refused).toBe(2);
  });
});
