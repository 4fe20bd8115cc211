/**
 * Last will (DESIGN row `status`: "last will says lost"; [MQTT-3.1.2-8]): when a device's
 * socket dies without DISCONNECT the broker publishes its will, and the registry marks it lost.
 * A clean DISCONNECT discards the will [MQTT-3.1.2-10].
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET, type Fleet, startFleet, topic, waitFor } from './helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet();
});
afterAll(() => fleet.close());

const will = (id: string) => ({
  topic: topic(id, 'status'),
  payload: Buffer.from('lost'),
  qos: 1 as const,
  retain: true,
});

describe('last will', () => {
  it("marks a device 'lost' when its socket is destroyed", async () => {
    const { client } = await fleet.device('will-1', { will: will('will-1') });
    await client.publishAsync(topic('will-1', 'status'), JSON.stringify({ state: 'online' }), {
      qos: 1,
      retain: true,
    });
    await waitFor('online', () => fleet.registry.getDevice(FLEET, 'will-1')?.state === 'online');
    client.stream.destroy();
    await waitFor('lost', () => fleet.registry.getDevice(FLEET, 'will-1')?.state === 'lost');
    expect(fleet.registry.listDevices().find((d) => d.id === 'will-1')?.online).toBe(false);
  });

  it('keeps a device offline (not lost) after a clean disconnect', async () => {
    const { client } = await fleet.device('will-2', { will: will('will-2') });
    await client.publishAsync(topic('will-2', 'status'), '"offline"', { qos: 1, retain: true });
    await client.endAsync();
    await waitFor('offline', () => fleet.registry.getDevice(FLEET, 'will-2')?.state === 'offline');
    // A marker from another device, handled after anything the broker published before it.
    const { client: other } = await fleet.device('will-3');
    await other.publishAsync(topic('will-3', 'status'), 'online', { qos: 1 });
    await waitFor('marker', () => fleet.registry.getDevice(FLEET, 'will-3')?.state === 'online');
    expect(fleet.registry.getDevice(FLEET, 'will-2')?.state).toBe('offline');
  });
});
