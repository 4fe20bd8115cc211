/**
 * Issue 16, item 12: devices.db (password hashes), telemetry.db and releases.db were mode 0644.
 * A real cloud writes them, and their WAL journals, 0600; a database left 0644 by an older
 * version is tightened when it is opened.
 */
import { chmodSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceRegistry } from '../../../../cloud/fleet/devices.js';
import { startCloud } from '../../../../cloud/fleet/service.js';
import { tempDir } from '../../../cli/cli-harness.js';

const dir = tempDir('cloud-modes');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('database files', () => {
  it("are their owner's only, journals included", async () => {
    const data = join(dir, 'data');
    const cloud = await startCloud({ dataDir: data, mqttPort: 0, httpPort: 0, log: () => {} });
    cloud.registry.addDevice({ fleet: 'f', id: 'a' });
    try {
      for (const name of ['devices.db', 'telemetry.db', 'releases.db']) {
        for (const file of [name, `${name}-wal`, `${name}-shm`]) {
          const p = join(data, file);
          if (existsSync(p)) expect([file, mode(p)]).toEqual([file, 0o600]);
        }
        expect(existsSync(join(data, name))).toBe(true);
      }
    } finally {
      await cloud.close();
    }
  });

  it('tightens a database an older version left 0644', () => {
    const data = join(dir, 'old');
    DeviceRegistry.open(data).close();
    chmodSync(join(data, 'devices.db'), 0o644);
    DeviceRegistry.open(data).close();
    expect(mode(join(data, 'devices.db'))).toBe(0o600);
  });
});
