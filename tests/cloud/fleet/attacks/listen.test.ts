/**
 * Issue 16, item 3: the cloud's HTTP server and embedded broker listened on every interface.
 * Started without a host, both now answer on loopback only: a connection to this machine's
 * own non-loopback address is refused (skipped where the machine has none).
 */
import { rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CloudHandle, startCloud } from '../../../../cloud/fleet/service.js';
import { tempDir } from '../../../cli/cli-harness.js';

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

let cloud: CloudHandle;
let dir: string;
beforeAll(async () => {
  dir = tempDir('cloud-listen');
  cloud = await startCloud({ dataDir: join(dir, 'data'), mqttPort: 0, httpPort: 0, log: () => {} });
});
afterAll(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!external)(`a cloud started without --host (external address ${external})`, () => {
  it('answers on 127.0.0.1 only', async () => {
    const http = Number(new URL(cloud.httpUrl).port);
    const mqtt = Number(new URL(cloud.brokerUrl).port);
    expect(new URL(cloud.httpUrl).hostname).toBe('127.0.0.1');
    expect(await reachable('127.0.0.1', http)).toBe(true);
    expect(await reachable('127.0.0.1', mqtt)).toBe(true);
    expect(await reachable(external!, http)).toBe(false);
    expect(await reachable(external!, mqtt)).toBe(false);
  });
});
