/**
 * The hunger policy's gate (cloud/fleet/loop): what counts as persistent hunger, how samples are
 * pooled, the library pointer and the history file. Nothing here is persistent enough to run
 * discovery, so these are fast.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  currentLibraryDir,
  currentLibraryVersion,
  type GroupCount,
  type HungryRow,
  installLibraryVersion,
  isPersistent,
  libraryVersions,
  poolSamples,
  readHistory,
  THRESHOLD_DEFAULTS,
} from '../../../../cloud/fleet/loop/index.js';
import { classicLibrary, loadLibrary, makeLibrary } from '../../../../shared/library/library.js';
import { Rng } from '../../../../shared/numeric/rng.js';
import { type LoopRig, startRig } from './helpers.js';

let rig: LoopRig | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.close();
  rig = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'liquidkan-loop-unit-'));
  dirs.push(d);
  return d;
}

describe('hunger policy thresholds', () => {
  it('does nothing while hunger is below the thresholds', async () => {
    rig = startRig();
    const policy = rig.start();
    rig.hunger('f1', 'dev-a', 10); // one device, however hungry
    expect(await policy.evaluate()).toEqual([]);
    let g = policy.status().lastEvaluation!.groups;
    expect(g).toMatchObject([{ fleet: 'f1', layer: 0, hungryRecords: 10, devices: 1, persistent: false }]);

    // two devices but records that are not hungry: hungry false and a small gap
    rig.hunger('f1', 'dev-b', 10, { hungry: false, gap: 0.01 });
    expect(await policy.evaluate()).toEqual([]);
    g = policy.status().lastEvaluation!.groups;
    expect(g[0]).toMatchObject({ hungryRecords: 10, devices: 1, fleetDevices: 2, persistent: false });

    // hunger older than the window no longer counts
    rig.now += 61_000;
    rig.hunger('f1', 'dev-a', 2);
    rig.hunger('f1', 'dev-b', 1, { hungry: undefined, gap: 0.2 }); // the gap alone says hungry
    expect(await policy.evaluate()).toEqual([]);
    g = policy.status().lastEvaluation!.groups;
    expect(g[0]).toMatchObject({ hungryRecords: 3, devices: 2, persistent: false });

    expect(rig.published).toEqual([]);
    expect(existsSync(join(rig.dir, 'loop'))).toBe(false);
    expect(existsSync(join(rig.dir, 'library'))).toBe(false);
    expect(rig.seen.filter((e) => e.type === 'library')).toEqual([]);
  });

  it('a disabled policy does nothing with persistent hunger, and needs a key to be switched on', async () => {
    rig = startRig();
    const policy = rig.start({ enabled: false, signingKey: undefined, debounceMs: 20 });
    rig.hunger('f1', 'dev-a', 5);
    rig.hunger('f1', 'dev-b', 5);
    await new Promise((r) => setTimeout(r, 60)); // past the debounce: no evaluation was woken
    expect(await policy.evaluate()).toEqual([]);
    expect(policy.status()).toMatchObject({ enabled: false, busy: false, lastEvaluation: null, cycles: [] });
    expect(rig.published).toEqual([]);
    expect(existsSync(join(rig.dir, 'loop'))).toBe(false);
    expect(() => policy.setEnabled(true)).toThrow(/signingKey/);
    expect(policy.status().enabled).toBe(false);
  });

  it('counts devices as a fraction of those reporting hunger when asked to', () => {
    const g: GroupCount = { fleet: 'f', layer: 0, records: 12, devices: 2, firstMs: 0, lastMs: 1 };
    const t = { ...THRESHOLD_DEFAULTS, minHungryRecords: 10, minDevices: 2 };
    expect(isPersistent(g, 4, t)).toBe(true);
    expect(isPersistent(g, 4, { ...t, minDeviceFraction: 0.75 })).toBe(false);
    expect(isPersistent({ ...g, devices: 3 }, 4, { ...t, minDeviceFraction: 0.75 })).toBe(true);
    expect(isPersistent({ ...g, records: 9 }, 4, t)).toBe(false);
    expect(isPersistent({ ...g, devices: 1 }, 1, t)).toBe(false);
  });
});

describe('sample pooling', () => {
  function rows(device: string, n: number, offset: number): HungryRow {
    const u = Array.from({ length: n }, (_, i) => offset + i / n);
    return {
      device,
      receivedMs: 0,
      record: { layer: 0, entropy: 0.5, gap: 0.2, hungry: true, samples: { u, phi: u.map((x) => 2 * x) } },
    };
  }

  it('is bounded, balanced across devices, sorted by u and the same for the same seed', () => {
    const input = [rows('chatty', 1000, 0), rows('quiet', 40, 10)];
    const a = poolSamples(input, 100, new Rng(3));
    expect(a.u).toHaveLength(100);
    expect(a.u.filter((u) => u >= 10)).toHaveLength(40); // every quiet sample, the rest from chatty
    expect([...a.u].sort((x, y) => x - y)).toEqual(a.u);
    expect(a.phi).toEqual(a.u.map((x) => 2 * x));
    expect(a).toMatchObject({ devices: ['chatty', 'quiet'], records: 2, meanGap: 0.2, meanEntropy: 0.5 });
    expect(poolSamples(input, 100, new Rng(3))).toEqual(a);
    expect(poolSamples(input, 100, new Rng(4)).u).not.toEqual(a.u);
  });
});

describe('library versions', () => {
  it('installs each version and a copy of the newest as current, atomically, and lists versions', () => {
    const dir = tempDir();
    expect(currentLibraryDir(dir)).toBeNull();
    expect(currentLibraryVersion(dir)).toBeNull();
    expect(libraryVersions(dir)).toEqual([]);
    const v1 = classicLibrary();
    const v2 = makeLibrary(v1.entries.slice(0, 3), 2, v1);
    installLibraryVersion(dir, v1);
    installLibraryVersion(dir, v2);
    const current = join(dir, 'library', 'current');
    expect(currentLibraryDir(dir)).toBe(current);
    expect(currentLibraryVersion(dir)).toBe(2);
    expect(loadLibrary(current)).toEqual(loadLibrary(join(dir, 'library', 'v2')));
    expect(libraryVersions(dir)).toEqual([
      { version: 1, dir: join(dir, 'library', 'v1'), current: false },
      { version: 2, dir: join(dir, 'library', 'v2'), current: true },
    ]);
    expect(readdirSync(join(dir, 'library')).sort()).toEqual(['current', 'v1', 'v2']); // no temporaries left
  });
});

describe('history file', () => {
  it('skips a line cut short by a crash, with one log line', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'loop'));
    const file = join(dir, 'loop', 'history.jsonl');
    const rec = { id: 'c1', fleet: 'f', layer: 0, startedMs: 1, outcome: 'failed' };
    writeFileSync(file, `${JSON.stringify(rec)}\n{"id":"c2","fle`);
    const logs: string[] = [];
    expect(readHistory(file, (l) => logs.push(l))).toEqual([rec]);
    expect(logs).toEqual([`${file}:2: not a cycle record; skipped`]);
  });
});
