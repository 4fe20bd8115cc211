/**
 * The generated Mosquitto files (cloud/fleet/broker/mosquitto.ts) against the real broker:
 * mosquitto_passwd and our `$7$` hashes agree both ways, the accounts log in and wrong ones are
 * refused, the ACLs let a device touch only its own topics (as auth.ts does), a device added
 * later works after SIGHUP, and the files read back unchanged.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deviceAcl,
  MosquittoFiles,
  mosquittoHash,
  verifyMosquittoHash,
} from '../../cloud/fleet/broker/mosquitto.js';
import { type RunningMosquitto, startMosquitto } from '../../cloud/fleet/broker/mosquitto-process.js';
import { usernameFor } from '../../cloud/fleet/devices.js';
import { TOOLS } from '../helpers/system-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'liquidkan-mosq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const operator = { username: 'cloud', password: 'operator-secret-0123456789' };
const dev = (id: string) => ({ fleet: 'lab', id, username: usernameFor('lab', id), password: `pw-${id}` });

describe('mosquitto password hashes', () => {
  it.skipIf(TOOLS.mosquittoPasswd())(
    'verifies what mosquitto_passwd writes, and its format matches ours',
    () => {
      const file = join(dir, 'pw-check');
      writeFileSync(file, '');
      execFileSync('mosquitto_passwd', ['-b', file, 'someone', 'open sesame']);
      const theirs = readFileSync(file, 'utf8').trim().split(':')[1]!;
      expect(verifyMosquittoHash('open sesame', theirs)).toBe(true);
      expect(verifyMosquittoHash('open sesam', theirs)).toBe(false);
      const ours = mosquittoHash('open sesame');
      expect(ours.split('$').map((p) => p.length)).toEqual(theirs.split('$').map((p) => p.length));
      expect(verifyMosquittoHash('open sesame', ours)).toBe(true);
    },
  );

  it('refuses usernames Mosquitto cannot hold', () => {
    expect(() => deviceAcl({ fleet: 'lab', id: 'a', username: 'lab:a' })).toThrow(/cannot be a Mosquitto/);
    expect(usernameFor('lab', 'a')).toBe('lab.a');
  });
});

describe.skipIf(TOOLS.mosquitto())('mosquitto with the generated config', () => {
  let broker: RunningMosquitto;
  const clients: MqttClient[] = [];
  const connect = async (u: { username: string; password: string }) => {
    const c = await mqtt.connectAsync(broker.url, { ...u, clientId: u.username, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const files = new MosquittoFiles(join(dir, 'mosquitto')).setOperator(operator);
    files.addDevices([dev('a'), dev('b')]);
    broker = await startMosquitto(files);
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await broker?.stop();
  });

  it('logs in the accounts and refuses wrong ones', async () => {
    await connect(operator);
    await connect(dev('a'));
    await expect(connect({ ...dev('a'), password: 'nope' })).rejects.toThrow(/Not authorized/);
    await expect(connect({ username: 'lab.zz', password: 'pw-zz' })).rejects.toThrow(/Not authorized/);
    await expect(mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clientId: 'anon' })).rejects.toThrow(
      /Not authorized/,
    );
  });

  it('lets a device touch only its own topics', async () => {
    const op = await connect({ ...operator, username: operator.username });
    const seen: string[] = [];
    op.on('message', (topic, payload) => seen.push(`${topic} ${payload}`));
    await op.subscribeAsync('lk/v1/#', { qos: 1 });
    const a = await connect(dev('a'));
    const got: string[] = [];
    a.on('message', (topic, payload) => got.push(`${topic} ${payload}`));
    // Mosquitto grants any SUBSCRIBE and applies the read ACL to each message it would deliver.
    await a.subscribeAsync(
      [
        'lk/v1/lab/a/jobs/notify',
        'lk/v1/lab/a/stream/+/data',
        'lk/v1/lab/a/cmd/+',
        'lk/v1/lab/b/jobs/notify',
        'lk/v1/lab/+/desired',
      ],
      { qos: 1 },
    );
    for (const t of [
      'lk/v1/lab/b/jobs/notify',
      'lk/v1/lab/b/desired',
      'lk/v1/lab/a/stream/s1/data',
      'lk/v1/lab/a/cmd/rebirth',
    ]) {
      await op.publishAsync(t, 'to-device', { qos: 1 });
    }
    const until = Date.now() + 5000;
    while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await a.publishAsync('lk/v1/lab/b/tel/perf', 'spoof', { qos: 1 });
    await a.publishAsync('lk/v1/lab/a/desired', 'spoof', { qos: 1 });
    await a.publishAsync('lk/v1/lab/a/tel/perf', 'own', { qos: 1 });
    await a.publishAsync('lk/v1/lab/a/jobs/j1/update', 'own', { qos: 1 });
    const deadline = Date.now() + 5000;
    while (seen.length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['lk/v1/lab/a/stream/s1/data to-device', 'lk/v1/lab/a/cmd/rebirth to-device']);
    expect(seen.filter((m) => !m.endsWith('to-device'))).toEqual([
      'lk/v1/lab/a/tel/perf own',
      'lk/v1/lab/a/jobs/j1/update own',
    ]);
  });

  it('takes a device added later after a reload, and reads its files back unchanged', async () => {
    await expect(connect(dev('c'))).rejects.toThrow(/Not authorized/);
    const files = new MosquittoFiles(broker.files.dir);
    expect(files.usernames()).toEqual(['cloud', 'lab.a', 'lab.b']);
    const acl = readFileSync(files.aclPath, 'utf8');
    files.addDevices([dev('c')]);
    expect(readFileSync(files.aclPath, 'utf8').startsWith(acl.trimEnd())).toBe(true);
    await broker.reload();
    await connect(dev('c'));
    expect(new MosquittoFiles(broker.files.dir).usernames()).toEqual(['cloud', 'lab.a', 'lab.b', 'lab.c']);
  });

  // issue 16 item 7: device N's credentials with client id `plant.dev-m` disconnected dev-m
  it("never lets one device's credentials take over another's session", async () => {
    const a = await connect(dev('a'));
    let aClosed = false;
    a.on('close', () => {
      aClosed = true;
    });
    const b = await mqtt.connectAsync(broker.url, {
      ...dev('b'),
      clientId: dev('a').username,
      reconnectPeriod: 0,
    });
    clients.push(b);
    await new Promise((r) => setTimeout(r, 300));
    expect(aClosed).toBe(false);
    expect(a.connected).toBe(true);
  });

  it('holds every account to the 256 KiB packet bound (it allowed 8 MiB)', async () => {
    expect(readFileSync(broker.files.confPath, 'utf8')).toMatch(/^max_packet_size 262144$/m);
    const a = await connect(dev('a'));
    const gone = new Promise<void>((resolve) => a.once('close', () => resolve()));
    a.publish('lk/v1/lab/a/tel/perf', Buffer.alloc(300 * 1024, 1), { qos: 1 });
    await gone;
  });

  it("keeps the cloud's clients on their own listener, where they may share the operator account", async () => {
    const ingest = await mqtt.connectAsync(broker.operatorUrl, {
      ...operator,
      clientId: 'lk-cloud-ingest',
      reconnectPeriod: 0,
    });
    const releases = await mqtt.connectAsync(broker.operatorUrl, {
      ...operator,
      clientId: 'lk-cloud-releases',
      reconnectPeriod: 0,
    });
    clients.push(ingest, releases);
    await new Promise((r) => setTimeout(r, 300));
    expect(ingest.connected && releases.connected).toBe(true);
  });
});
