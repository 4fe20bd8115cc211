/**
 * `liquidkan devices add|list` round trip through the built CLI: add writes a 0600 credentials
 * file whose password the registry accepts and which nothing else prints; list --json shows the
 * device; a second add of the same id, or onto an existing file, fails as bad input (exit 2).
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../cloud/fleet/devices.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let dir: string;
beforeAll(async () => {
  await buildCliOnce();
  dir = tempDir('devices');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('liquidkan devices', () => {
  it('add writes a 0600 credentials file and list --json shows the device', async () => {
    const data = join(dir, 'fleet');
    const out = join(dir, 'pi-1.json');
    const add = await runCli(
      [
        'devices',
        'add',
        '--data',
        data,
        '--fleet',
        'lab',
        '--id',
        'pi-1',
        '--out',
        out,
        '--broker',
        'mqtt://10.0.0.2:1883',
        '--json',
      ],
      dir,
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const creds = JSON.parse(readFileSync(out, 'utf8'));
    expect(creds).toMatchObject({
      broker: 'mqtt://10.0.0.2:1883',
      fleet: 'lab',
      id: 'pi-1',
      username: 'lab.pi-1',
    });
    expect(creds.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(add.stdout)).toEqual({ fleet: 'lab', id: 'pi-1', username: 'lab.pi-1', out });
    expect(add.stdout).not.toContain(creds.password);

    const registry = DeviceRegistry.open(data);
    try {
      expect(await registry.authenticate('lab.pi-1', creds.password)).toEqual({ fleet: 'lab', id: 'pi-1' });
      expect(await registry.authenticate('lab.pi-1', `${creds.password}x`)).toBeNull();
    } finally {
      registry.close();
    }

    const list = await runCli(['devices', 'list', '--data', data, '--json'], dir);
    expect(list.code).toBe(0);
    const { devices } = JSON.parse(list.stdout);
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({
      fleet: 'lab',
      id: 'pi-1',
      state: 'unknown',
      online: false,
      lastSeenMs: null,
    });
    expect(list.stdout).not.toContain('scrypt');

    const again = await runCli(
      ['devices', 'add', '--data', data, '--fleet', 'lab', '--id', 'pi-1', '--out', join(dir, 'other.json')],
      dir,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already registered');
    const clobber = await runCli(
      ['devices', 'add', '--data', data, '--fleet', 'lab', '--id', 'pi-2', '--out', out],
      dir,
    );
    expect(clobber.code).toBe(2);
    expect(JSON.parse(readFileSync(out, 'utf8')).password).toBe(creds.password);
  });

  it('rejects ids that cannot be a topic level', async () => {
    const r = await runCli(
      [
        'devices',
        'add',
        '--data',
        join(dir, 'f2'),
        '--fleet',
        'lab',
        '--id',
        'a/b',
        '--out',
        join(dir, 'x.json'),
      ],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("device id 'a/b'");
  });

  it('list fails as bad input where there is no registry', async () => {
    const r = await runCli(['devices', 'list', '--data', join(dir, 'nowhere'), '--json'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no device registry');
  });
});
