/**
 * ACLs (cloud/fleet/broker/auth.ts, DESIGN topic table): a device publishes only its own
 * device-side topics and subscribes only to its own cloud-side topics; a denied PUBLISH closes
 * the connection and reaches no subscriber [MQTT-3.3.5-2]; a denied SUBSCRIBE gets 0x80.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closed, type Fleet, startFleet, topic, waitFor } from './helpers.js';

let fleet: Fleet;
let operator: MqttClient;
beforeAll(async () => {
  fleet = await startFleet();
  const op = fleet.broker.operator;
  operator = await fleet.connect({ clientId: 'acl-ops', username: op.username, password: op.password });
});
afterAll(() => fleet.close());

function collect(client: MqttClient): { topic: string; payload: string }[] {
  const got: { topic: string; payload: string }[] = [];
  client.on('message', (t, p) => got.push({ topic: t, payload: p.toString() }));
  return got;
}

describe('device ACLs', () => {
  it("denies a publish to another device's topic; no subscriber ever sees it", async () => {
    fleet.registry.addDevice({ fleet: 'test-fleet', id: 'victim' });
    const got = collect(operator);
    await operator.subscribeAsync(topic('victim', '#'), { qos: 1 });
    const { client: attacker } = await fleet.device('attacker');
    attacker.publish(topic('victim', 'status'), 'lost', { qos: 1, retain: true });
    await closed(attacker);
    expect(
      fleet.logs.some((l) => l.includes(`denied publish by`) && l.includes(topic('victim', 'status'))),
    ).toBe(true);
    // A marker through the same path: once it arrives, anything published before it would have.
    await operator.publishAsync(topic('victim', 'desired'), 'marker', { qos: 1 });
    await waitFor('the marker', () => got.some((m) => m.payload === 'marker'));
    expect(got.map((m) => m.payload)).toEqual(['marker']);
    expect(fleet.registry.getDevice('test-fleet', 'victim')?.state).toBe('unknown');
  });

  it('denies a device publishing to its own cloud-side topics (desired, cmd)', async () => {
    const { client } = await fleet.device('self-desired');
    client.publish(topic('self-desired', 'desired'), '{}', { qos: 1 });
    await closed(client);
    expect(fleet.logs.some((l) => l.includes(topic('self-desired', 'desired')))).toBe(true);
  });

  it("refuses subscriptions to another device's topics or across the fleet with 0x80", async () => {
    const { client } = await fleet.device('snoop');
    const filters = [
      topic('other', 'desired'),
      topic('+', 'desired'),
      'lk/v1/#',
      '#',
      topic('snoop', 'tel/hunger'),
    ];
    for (const filter of filters) {
      // mqtt.js turns a 0x80 return code into an error carrying the SUBACK.
      await expect(client.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({
        packet: { granted: [128] },
      });
    }
    expect(client.connected).toBe(true);
  });

  it('grants its own cloud-side topics and delivers commands from the cloud', async () => {
    const { client } = await fleet.device('good');
    const got = collect(client);
    const granted = await client.subscribeAsync(
      [
        topic('good', 'desired'),
        topic('good', 'jobs/notify'),
        topic('good', 'stream/+/data'),
        topic('good', 'cmd/#'),
      ],
      { qos: 1 },
    );
    expect(granted.map((g) => g.qos)).toEqual([1, 1, 1, 1]);
    await operator.publishAsync(topic('good', 'cmd/rebirth'), '{}', { qos: 1 });
    await waitFor('the command', () => got.length === 1);
    expect(got[0]!.topic).toBe(topic('good', 'cmd/rebirth'));
    // Its own device-side topics are allowed.
    await client.publishAsync(topic('good', 'jobs/j-1/update'), '{"state":"done"}', { qos: 1 });
    await client.publishAsync(topic('good', 'stream/s1/get'), '{"chunk":0}', { qos: 1 });
    expect(client.connected).toBe(true);
  });
});
