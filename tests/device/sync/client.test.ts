/**
 * The device's MQTT session against the embedded broker: announces itself (status 'online' and
 * birth, retained) on every connect including after a broker restart, receives its commands,
 * drops malformed and oversized messages with one log line each while staying up, says
 * 'offline' on a clean stop and is reported 'lost' by its will when the connection dies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../../device/sync/client.js';
import type { SyncCredentials } from '../../../device/sync/credentials.js';
import type { Birth, CommandMessage, JobNotify } from '../../../shared/types/sync.js';
import { FLEET, type SyncFleet, startSyncFleet, waitFor } from './fleet.js';

let fleet: SyncFleet;
beforeAll(async () => {
  fleet = await startSyncFleet();
});
afterAll(() => fleet.close());

const birth = (boot: number): Birth => ({
  runtime: { name: 'liquidkan-device', version: '0.1.0', engine: 'native' },
  profile: 'pi4',
  libraryVersion: '1',
  modelVersion: null,
  boot,
  at: new Date().toISOString(),
});

function client(creds: SyncCredentials, logs: string[], boot = 1): SyncClient {
  return new SyncClient({
    credentials: creds,
    birth: () => birth(boot),
    log: (l) => logs.push(l),
    reconnectPeriodMs: 100,
  });
}

describe('SyncClient', () => {
  it('announces itself and survives malformed and oversized messages', async () => {
    const creds = fleet.provision('c1');
    const logs: string[] = [];
    const c = client(creds, logs, 7);
    const cmds: [string, CommandMessage][] = [];
    const notifies: JobNotify[] = [];
    c.on('cmd', (name, m) => cmds.push([name, m]));
    c.on('notify', (n) => notifies.push(n));
    c.start();
    await waitFor('online', () => fleet.server.status.get('c1') === 'online');
    await waitFor('birth', () => fleet.server.births.get('c1')?.['boot'] === 7);
    expect(c.connected).toBe(true);

    const base = `lk/v1/${FLEET}/c1`;
    await fleet.server.publishRaw(`${base}/jobs/notify`, '{not json');
    const badId = {
      format: 'liquidkan-job',
      formatVersion: 1,
      jobId: '../x',
      rolloutId: 'r',
      envelope: { manifest: {}, signature: '' },
      streamId: 'a'.repeat(64),
      createdAt: new Date().toISOString(),
    };
    await fleet.server.publishRaw(`${base}/jobs/notify`, JSON.stringify(badId));
    await fleet.server.publishRaw(`${base}/jobs/notify`, Buffer.alloc(70 * 1024, 0x20));
    await fleet.server.publishRaw(`${base}/cmd/reselect`, JSON.stringify({ id: 'c 1', at: 'yesterday' }));
    await fleet.server.publishRaw(`${base}/desired`, '[]');
    await fleet.server.cmd(FLEET, 'c1', 'rebirth');
    await waitFor('the valid command', () => cmds.length === 1);
    expect(cmds[0]![0]).toBe('rebirth');
    expect(notifies).toEqual([]);
    expect(c.dropped).toBe(5);
    const dropped = logs.filter((l) => l.startsWith('dropped message'));
    expect(dropped).toHaveLength(5);
    expect(dropped[0]).toMatch(/jobs\/notify.*not JSON/);
    expect(dropped[1]).toMatch(/jobId: must match/);
    expect(dropped[2]).toMatch(/over 65536/);
    expect(dropped[3]).toMatch(/cmd\/reselect/);
    expect(dropped[4]).toMatch(/desired/);
    expect(c.connected).toBe(true);

    await c.stop();
    await waitFor('offline', () => fleet.server.status.get('c1') === 'offline');
  });

  it("is reported 'lost' by its will when the connection dies", async () => {
    const creds = fleet.provision('c2');
    const c = client(creds, []);
    c.start();
    await waitFor('online', () => fleet.server.status.get('c2') === 'online');
    c.kill();
    await waitFor('lost', () => fleet.server.status.get('c2') === 'lost');
  });

  it('reconnects after a broker restart and announces itself again', async () => {
    const creds = fleet.provision('c3');
    const logs: string[] = [];
    const c = client(creds, logs);
    let connects = 0;
    c.on('connect', () => connects++);
    c.start();
    await waitFor('first connect', () => connects === 1);
    fleet.server.births.delete('c3');
    await fleet.restartBroker(200);
    await waitFor('reconnect', () => connects === 2, 10_000);
    await waitFor('birth again', () => fleet.server.births.has('c3'));
    // still subscribed: the new broker has no session, so the client subscribed again
    const got: string[] = [];
    c.on('cmd', (name) => got.push(name));
    await fleet.server.cmd(FLEET, 'c3', 'tau-reset');
    await waitFor('command after restart', () => got.length === 1);
    await c.stop();
  });

  it('is refused with wrong credentials and keeps trying without crashing', async () => {
    const creds = fleet.provision('c4');
    const logs: string[] = [];
    const c = client({ ...creds, password: 'wrong' }, logs);
    c.start();
    await waitFor('a refusal', () =>
      logs.some((l) => /connection: .*(Not authorized|Bad username)/i.test(l)),
    );
    expect(c.connected).toBe(false);
    await c.stop();
  });
});
