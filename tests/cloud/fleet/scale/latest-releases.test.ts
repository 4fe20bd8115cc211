/**
 * A shared cloud's dashboard reads the newest library release unpacked from the store: checked
 * against its manifest, unpacked once, and a release that cannot be unpacked is logged once (not
 * on every refresh) and never served.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredRelease } from '../../../../cloud/fleet/releases/types.js';
import { LatestReleases } from '../../../../cloud/fleet/scale/latest-releases.js';
import { classicLibrary } from '../../../../shared/library/library.js';
import { createRelease } from '../../../../shared/release/create.js';
import { generateKeys } from '../../../../shared/release/keys.js';

const work = mkdtempSync(join(tmpdir(), 'liquidkan-latest-releases-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const release = createRelease({ kind: 'library', library: classicLibrary(), key: generateKeys().privateKey });
const { manifest, signature } = release.envelope;
const stored: StoredRelease = {
  id: 'r1',
  kind: manifest.kind,
  version: manifest.version,
  size: manifest.size,
  chunkBytes: manifest.chunkBytes,
  chunks: manifest.chunks.length,
  profiles: manifest.profiles,
  keyId: manifest.keyId,
  signatureVerified: true,
  createdMs: Date.parse(manifest.createdAt),
  manifest,
  signature,
};

describe('LatestReleases', () => {
  it('unpacks the newest release once and logs a payload that fails its check once', async () => {
    const logs: string[] = [];
    let payload: Uint8Array | undefined = release.payload.slice();
    payload[10] = payload[10]! ^ 0xff;
    let reads = 0;
    const latest = new LatestReleases({
      latestRelease: async (kind) => (kind === 'library' ? stored : null),
      payload: async () => {
        reads++;
        return payload;
      },
      dir: join(work, 'releases'),
      log: (l) => logs.push(l),
    });
    await latest.refresh();
    await latest.refresh();
    expect(latest.dir('library')).toBeNull();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/the newest library release could not be unpacked: .*sha256/i);

    payload = release.payload;
    await latest.refresh();
    const dir = latest.dir('library');
    expect(dir).toBe(join(work, 'releases', manifest.sha256));
    expect(JSON.parse(readFileSync(join(dir!, 'library.json'), 'utf8'))).toMatchObject({
      entries: expect.any(Array),
    });
    const before = reads;
    await latest.refresh();
    expect(reads).toBe(before);
    expect(existsSync(dir!)).toBe(true);
    expect(logs).toHaveLength(1);
  });
});
