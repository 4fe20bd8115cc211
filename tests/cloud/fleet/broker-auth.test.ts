/**
 * Authentication against the registry (cloud/fleet/broker/auth.ts): a provisioned device
 * connects with its credentials; a wrong password, an unknown user or a borrowed client id is
 * refused with the MQTT 3.1.1 CONNACK return code for it (§3.2.2.3).
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLEET, type Fleet, startFleet } from './helpers.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet();
});
afterAll(() => fleet.close());

async function refusal(options: mqtt.IClientOptions): Promise<number | undefined> {
  const client = mqtt.connect(fleet.broker.url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  try {
    const err = await new Promise<Error & { code?: number }>((resolve) => {
      client.once('error', resolve);
      client.once('connect', () => resolve(new Error('connected')));
    });
    return err.code;
  } finally {
    await client.endAsync(true);
  }
}

describe('broker authentication', () => {
  it('accepts a provisioned device with its own credentials', async () => {
    const { client, creds } = await fleet.device('auth-ok');
    expect(client.connected).toBe(true);
    expect(creds.username).toBe(`${FLEET}.auth-ok`);
  });

  it('refuses a wrong password with return code 4', async () => {
    const creds = fleet.registry.addDevice({ fleet: FLEET, id: 'auth-bad' });
    const code = await refusal({ clientId: creds.username, username: creds.username, password: 'not-it' });
    expect(code).toBe(4);
    expect(fleet.logs.some((l) => l.includes('bad username or password'))).toBe(true);
  });

  it('refuses an unknown username and a missing password', async () => {
    expect(await refusal({ clientId: 'x', username: `${FLEET}.nobody`, password: 'pw' })).toBe(4);
    expect(await refusal({ clientId: 'y' })).toBe(4);
  });

  it("refuses a device that uses another client id (it could take over another device's session)", async () => {
    const creds = fleet.registry.addDevice({ fleet: FLEET, id: 'auth-cid' });
    const code = await refusal({
      clientId: `${FLEET}.someone-else`,
      username: creds.username,
      password: creds.password,
    });
    expect(code).toBe(2);
  });

  it('accepts the operator account written to the data dir on first start', async () => {
    const op = fleet.broker.operator;
    const client = await fleet.connect({ clientId: 'ops', username: op.username, password: op.password });
    expect(client.connected).toBe(true);
  });
});
