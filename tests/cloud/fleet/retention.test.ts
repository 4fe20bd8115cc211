/** Retention (cloud/fleet/telemetry/store.ts): rows received more than N days ago are deleted, on open and on prune(). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TelemetryStore } from '../../../cloud/fleet/telemetry/index.js';

const DAY = 86_400_000;
const dev = { fleet: 'f', device: 'd' };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('telemetry retention', () => {
  it('deletes rows older than retentionDays and keeps the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'liquidkan-retention-'));
    dirs.push(dir);
    let now = 100 * DAY;
    const store = TelemetryStore.open({
      dataDir: dir,
      retentionDays: 7,
      retentionIntervalMs: 0,
      now: () => now,
    });
    const rec = { layer: 0, entropy: 0.3 };
    expect(store.insertBatch('hunger', { ...dev, stream: 'main', seq: 0 }, [rec, rec])).toBe('stored');
    now += 5 * DAY;
    expect(store.insertBatch('hunger', { ...dev, stream: 'main', seq: 1 }, [rec])).toBe('stored');
    now += 3 * DAY; // the first batch is now 8 days old, the second 3
    expect(store.prune()).toBe(2);
    expect(store.count('hunger', dev)).toBe(1);
    store.close();

    // On open, too.
    now += 30 * DAY;
    const reopened = TelemetryStore.open({
      dataDir: dir,
      retentionDays: 7,
      retentionIntervalMs: 0,
      now: () => now,
    });
    expect(reopened.count('hunger', dev)).toBe(0);
    reopened.close();
  });

  it('rejects a non-positive retention', () => {
    expect(() => TelemetryStore.open({ dataDir: '/nonexistent', retentionDays: 0 })).toThrow(RangeError);
  });
});
