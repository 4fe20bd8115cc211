/**
 * When a cycle fails (cloud/fleet/loop): discovery that fails, a publish that fails, hunger with
 * no samples. Each is recorded with its stage, nothing throws into the cloud, the hunger stays
 * unhandled, and the next trigger after the cooldown retries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { currentLibraryDir, currentLibraryVersion } from '../../../../cloud/fleet/loop/index.js';
import { openRelease, readReleaseFile } from '../../../../shared/release/release-file.js';
import { buildCliOnce } from '../../../cli/cli-harness.js';
import { waitFor } from '../helpers.js';
import { type LoopRig, startRig, T0 } from './helpers.js';

const COOLDOWN = 600_000;
const options = {
  thresholds: { windowMs: 3_600_000, minHungryRecords: 4, minDevices: 2, cooldownMs: COOLDOWN },
};

let rig: LoopRig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});
beforeAll(buildCliOnce, 120_000);

function history(r: LoopRig): unknown[] {
  return readFileSync(join(r.dir, 'loop', 'history.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('closing the loop: failures', () => {
  it('records a failed discovery, writes no library, and retries the same hunger after the cooldown', async () => {
    rig = startRig();
    const r = rig;
    let policy = r.start({ ...options, discovery: { timeoutMs: 1 } });
    r.hunger('f1', 'dev-a', 2);
    r.hunger('f1', 'dev-b', 2);
    const [c1] = await policy.evaluate();
    expect(c1).toMatchObject({
      id: 'c1',
      outcome: 'failed',
      published: false,
      library: null,
      release: null,
      error: { stage: 'discovery', message: expect.stringMatching(/time limit of 1 ms/) },
    });
    expect(existsSync(join(r.dir, c1!.job!))).toBe(true); // the job stays for a person to look at
    expect(currentLibraryDir(r.dir)).toBeNull();
    expect(r.published).toEqual([]);
    expect(r.logs.some((l) => l.includes('c1 f1 L0: failed at discovery'))).toBe(true);
    expect(policy.status()).toMatchObject({ busy: false, enabled: true });
    expect(history(r)).toEqual([c1]);

    // during the cooldown nothing runs, even after a restart with working settings
    await policy.close();
    policy = r.start(options);
    expect(await policy.evaluate()).toEqual([]);
    // after it, the unhandled hunger triggers again and this time it works
    r.now = T0 + COOLDOWN + 1;
    const [c2] = await policy.evaluate();
    expect(c2).toMatchObject({ id: 'c2', outcome: 'released', trigger: { hungryRecords: 4 } });
    expect(r.published).toEqual([{ file: join(r.dir, 'loop', 'releases', 'library-v2.lkr'), fleet: 'f1' }]);
  });

  it('records a failed publish; after the cooldown the fleet gets the library that was already made', async () => {
    rig = startRig();
    const r = rig;
    const policy = r.start(options);
    r.publishError = new Error('release service unreachable');
    r.hunger('f1', 'dev-a', 2);
    r.hunger('f1', 'dev-b', 2);
    const [c1] = await policy.evaluate();
    expect(c1).toMatchObject({
      outcome: 'failed',
      published: false,
      library: { version: 2 },
      release: { version: '2' },
      error: { stage: 'publish', message: 'release service unreachable' },
    });
    expect(currentLibraryVersion(r.dir)).toBe(2);

    r.publishError = null;
    r.now = T0 + COOLDOWN + 1;
    const [c2] = await policy.evaluate();
    // discovery on v2 finds the shape already there; the fleet still lacks v2, so v2 goes out
    expect(c2).toMatchObject({
      outcome: 'republished',
      published: true,
      library: null,
      parent: { version: 2 },
      release: { version: '2' },
      error: null,
    });
    expect(c2!.discovery!.added).toEqual([]);
    const file = join(r.dir, 'loop', 'releases', 'library-v2.lkr');
    expect(r.published).toEqual([{ file, fleet: 'f1' }]);
    expect(openRelease(readReleaseFile(file), [r.keys.publicKey]).manifest.version).toBe('2');
    expect(history(r)).toEqual([c1, c2]);
  });

  it('a shutdown mid-discovery kills the child and leaves no record, so the cycle runs after a restart', async () => {
    rig = startRig();
    const r = rig;
    let policy = r.start(options);
    r.hunger('f1', 'dev-a', 2);
    r.hunger('f1', 'dev-b', 2);
    const first = policy.evaluate();
    expect(policy.evaluate()).toBe(first); // a second call while one is queued joins it
    await waitFor('discovery to start', () => existsSync(join(r.dir, 'loop', 'jobs')));
    expect(policy.status().busy).toBe(true);
    await policy.close();
    expect(await first).toEqual([]);
    expect(existsSync(join(r.dir, 'loop', 'history.jsonl'))).toBe(false);
    expect(existsSync(join(r.dir, 'loop', 'work', 'c1'))).toBe(false);

    policy = r.start(options);
    const [c1] = await policy.evaluate();
    expect(c1).toMatchObject({ id: 'c1', outcome: 'released' });
  });

  it('records hunger without samples as a failure at the samples stage, without running discovery', async () => {
    rig = startRig();
    const r = rig;
    const policy = r.start(options);
    r.hunger('f1', 'dev-a', 3, { samples: undefined });
    r.hunger('f1', 'dev-b', 3, { samples: undefined });
    const [c1] = await policy.evaluate();
    expect(c1).toMatchObject({
      outcome: 'failed',
      job: null,
      discovery: null,
      trigger: { hungryRecords: 6, samples: 0 },
      error: { stage: 'samples', message: '0 pooled samples (at least 32 needed)' },
    });
    expect(r.published).toEqual([]);
  });
});
