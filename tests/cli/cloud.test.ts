/**
 * `liquidkan cloud`: starts the broker and the HTTP API on ports the OS chooses (--mqtt-port 0
 * --http-port 0), prints where they are, and on SIGTERM or SIGINT closes everything and exits 0
 * by itself (no handle left open keeps it alive).
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudProcess } from '../cloud/fleet/http/cloud-process.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-cloud');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('liquidkan cloud', () => {
  it('serves MQTT and HTTP on chosen ports and exits 0 on SIGTERM', async () => {
    const data = join(work, 'data');
    const cloud = await startCloudProcess(data);
    try {
      expect(cloud.tokenFile).toBe(join(data, 'operator.token'));
      expect(statSync(cloud.tokenFile).mode & 0o777).toBe(0o600);
      expect(cloud.stderr()).toContain(`broker ${cloud.brokerUrl}, HTTP ${cloud.httpUrl}`);
      const health = await fetch(`${cloud.httpUrl}/api/health`);
      expect(await health.json()).toMatchObject({ ok: true, brokerUrl: cloud.brokerUrl });
      // The broker answers, and refuses an unknown account.
      await expect(
        mqtt.connectAsync(cloud.brokerUrl, { username: 'x:y', password: 'nope', reconnectPeriod: 0 }),
      ).rejects.toThrow(/Bad username or password|Not authorized/);
    } finally {
      expect(await cloud.stop('SIGTERM')).toBe(0);
    }
    expect(cloud.stderr()).toContain('liquidkan cloud: closed');
  });

  it('keeps its token across runs and stops on SIGINT too', async () => {
    const data = join(work, 'data');
    const token = readFileSync(join(data, 'operator.token'), 'utf8');
    const cloud = await startCloudProcess(data);
    expect(readFileSync(cloud.tokenFile, 'utf8')).toBe(token);
    expect(await cloud.stop('SIGINT')).toBe(0);
  });

  it('refuses bad flags with exit code 2', async () => {
    const r = await runCli(['cloud', '--data', join(work, 'x'), '--mqtt-port', 'abc'], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--mqtt-port must be an integer/);
    const high = await runCli(['cloud', '--data', join(work, 'x'), '--http-port', '70000'], work);
    expect(high.code).toBe(2);
    expect(high.stderr).toMatch(/--http-port must be a port, 0 to 65535, got 70000/);
    // digits only: '1e3' is not quietly port 1000
    const sci = await runCli(['devices', 'mosquitto', '--data', join(work, 'x'), '--port', '1e3'], work);
    expect(sci.code).toBe(2);
    expect(sci.stderr).toMatch(/--port must be an integer ≥ 1, got '1e3'/);
    const b = await runCli(['cloud', '--data', join(work, 'x'), '--broker', 'http://nope'], work);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/must be 'embedded' or an mqtt:\/\//);
  });
});
