/**
 * Resumable downloads: corrupt chunks are refetched, a restart resumes from the state file
 * without refetching done chunks, backoff is bounded, and a bad payload is refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  DOWNLOAD_DEFAULTS,
  downloadPaths,
  ReleaseDownload,
} from '../../../device/sync/download.js';
import { ManifestError, SignatureError } from '../../../shared/errors.js';
import { chunkAt } from '../../../shared/release/chunks.js';
import { createRelease } from '../../../shared/release/create.js';
import { generateKeys } from '../../../shared/release/keys.js';
import { verifyManifest } from '../../../shared/release/sign.js';

const keys = generateKeys();
const CHUNK = 512;
const release = createRelease({
  kind: 'library',
  library: 'classic',
  key: keys.privateKey,
  chunkBytes: CHUNK,
});
const manifest = verifyManifest(JSON.parse(JSON.stringify(release.envelope)), [keys.publicKey]);
const N = manifest.chunks.length;

const dirs: string[] = [];
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'liquidkan-download-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A chunk server that records requests and can misbehave per index. */
function server(misbehave: (i: number, attempt: number) => 'ok' | 'corrupt' | 'short' | 'fail' = () => 'ok') {
  const requests: number[] = [];
  const fetchChunk = async (i: number) => {
    requests.push(i);
    const attempt = requests.filter((r) => r === i).length;
    const bytes = new Uint8Array(chunkAt(release.payload, i, CHUNK).bytes);
    const how = misbehave(i, attempt);
    if (how === 'fail') throw new Error(`broker timeout on chunk ${i}`);
    if (how === 'corrupt') bytes[0] ^= 0x55;
    return how === 'short' ? bytes.subarray(1) : bytes;
  };
  return { requests, fetchChunk };
}

const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};

describe('ReleaseDownload', () => {
  it('has enough chunks to be worth resuming', () => expect(N).toBeGreaterThanOrEqual(4));

  it('fetches every chunk in order and returns the verified payload', async () => {
    const s = server();
    const dir = dataDir();
    const progress: number[] = [];
    const r = await new ReleaseDownload({
      manifest,
      fetchChunk: s.fetchChunk,
      dataDir: dir,
      sleep,
      onProgress: (p) => progress.push(p.done),
    }).run();
    expect(Buffer.from(r.payload).equals(Buffer.from(release.payload))).toBe(true);
    expect(s.requests).toEqual([...Array(N).keys()]);
    expect(progress).toEqual([...Array(N).keys()].map((i) => i + 1));
    expect(r).toMatchObject({ resumedAt: 0, fetched: N, retries: 0 });
    const paths = downloadPaths(dir, manifest.sha256);
    expect(existsSync(paths.state) || existsSync(paths.part)).toBe(false);
  });

  it('rejects a corrupt or short chunk and refetches it, backing off', async () => {
    sleeps.length = 0;
    const s = server((i, attempt) =>
      i === 1 && attempt <= 2 ? 'corrupt' : i === 2 && attempt === 1 ? 'short' : 'ok',
    );
    const r = await new ReleaseDownload({
      manifest,
      fetchChunk: s.fetchChunk,
      dataDir: dataDir(),
      sleep,
    }).run();
    expect(Buffer.from(r.payload).equals(Buffer.from(release.payload))).toBe(true);
    expect(s.requests.slice(0, 5)).toEqual([0, 1, 1, 1, 2]);
    expect(r.retries).toBe(3);
    expect(sleeps).toEqual([500, 1000, 500]);
  });

  it('gives up after maxAttempts with the last cause', async () => {
    sleeps.length = 0;
    const s = server((i) => (i === 2 ? 'corrupt' : 'ok'));
    const dl = new ReleaseDownload({
      manifest,
      fetchChunk: s.fetchChunk,
      dataDir: dataDir(),
      sleep,
      retry: { maxAttempts: 3, initialDelayMs: 100, factor: 10, maxDelayMs: 700 },
    });
    const err = await dl.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect((err as Error).message).toMatch(/chunk 2 of \d+ not obtained after 3 tries/);
    expect((err as Error).cause).toBeInstanceOf(SignatureError);
    expect(sleeps).toEqual([100, 700]);
    expect(dl.progress().done).toBe(2);
  });

  it('resumes after a restart from the state file without refetching done chunks', async () => {
    const dir = dataDir();
    const half = Math.floor(N / 2);
    const first = server((i) => (i === half ? 'fail' : 'ok'));
    const dl1 = new ReleaseDownload({
      manifest,
      fetchChunk: first.fetchChunk,
      dataDir: dir,
      sleep,
      retry: { maxAttempts: 1 },
    });
    await expect(dl1.run()).rejects.toThrow(/broker timeout/);
    const state = JSON.parse(readFileSync(downloadPaths(dir, manifest.sha256).state, 'utf8'));
    expect(state).toMatchObject({ sha256: manifest.sha256, next: half });

    const second = server();
    const dl2 = new ReleaseDownload({ manifest, fetchChunk: second.fetchChunk, dataDir: dir, sleep });
    expect(dl2.progress().done).toBe(half);
    const r = await dl2.run();
    expect(second.requests).toEqual([...Array(N).keys()].slice(half));
    expect(r).toMatchObject({ resumedAt: half, fetched: N - half });
    expect(Buffer.from(r.payload).equals(Buffer.from(release.payload))).toBe(true);
  });

  it('re-checks held chunks on resume and refetches from the first damaged one', async () => {
    const dir = dataDir();
    const first = server((i) => (i === 3 ? 'fail' : 'ok'));
    await expect(
      new ReleaseDownload({
        manifest,
        fetchChunk: first.fetchChunk,
        dataDir: dir,
        sleep,
        retry: { maxAttempts: 1 },
      }).run(),
    ).rejects.toThrow();
    const part = downloadPaths(dir, manifest.sha256).part;
    const bytes = readFileSync(part);
    bytes[CHUNK + 3] ^= 1; // damage chunk 1 on disk
    writeFileSync(part, bytes);
    const second = server();
    const r = await new ReleaseDownload({
      manifest,
      fetchChunk: second.fetchChunk,
      dataDir: dir,
      sleep,
    }).run();
    expect(second.requests[0]).toBe(1);
    expect(Buffer.from(r.payload).equals(Buffer.from(release.payload))).toBe(true);
  });

  it('ignores a state file written for another release', async () => {
    const dir = dataDir();
    const paths = downloadPaths(dir, manifest.sha256);
    await expect(
      new ReleaseDownload({
        manifest,
        fetchChunk: server((i) => (i === 2 ? 'fail' : 'ok')).fetchChunk,
        dataDir: dir,
        sleep,
        retry: { maxAttempts: 1 },
      }).run(),
    ).rejects.toThrow();
    const state = JSON.parse(readFileSync(paths.state, 'utf8'));
    writeFileSync(paths.state, JSON.stringify({ ...state, chunkBytes: 1024 }));
    expect(
      new ReleaseDownload({ manifest, fetchChunk: server().fetchChunk, dataDir: dir }).progress().done,
    ).toBe(0);
  });

  it('refuses an assembled payload that does not match the manifest (truncated)', async () => {
    // a manifest whose chunk list matches a truncated payload but whose sha256 and size do not
    const short = release.payload.subarray(0, release.payload.length - 10);
    const fake = { ...manifest, size: short.length };
    const s = { fetchChunk: async (i: number) => chunkAt(short, i, CHUNK).bytes };
    const hashes = [...Array(Math.ceil(short.length / CHUNK)).keys()].map(
      (i) => chunkAt(short, i, CHUNK).sha256,
    );
    const dir = dataDir();
    const dl = new ReleaseDownload({
      manifest: { ...fake, chunks: hashes },
      fetchChunk: s.fetchChunk,
      dataDir: dir,
    });
    await expect(dl.run()).rejects.toThrow(/payload sha256 .* does not match the signed manifest/);
    expect(existsSync(downloadPaths(dir, manifest.sha256).state)).toBe(false);
  });

  it('an abort ends a backoff wait at once (the default wait, no injected clock)', async () => {
    const s = server(() => 'fail');
    const abort = new AbortController();
    const t0 = Date.now();
    setTimeout(() => abort.abort(new Error('switching model')), 50);
    await expect(
      new ReleaseDownload({
        manifest,
        fetchChunk: s.fetchChunk,
        dataDir: dataDir(),
        retry: { initialDelayMs: 60_000 },
        signal: abort.signal,
      }).run(),
    ).rejects.toThrow(/switching model|aborted/);
    // a minute-long backoff was cut short
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(s.requests).toEqual([0]);
  });

  it('backoff grows geometrically and is capped', () => {
    const p = { ...DOWNLOAD_DEFAULTS, initialDelayMs: 100, factor: 3, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(p, a))).toEqual([100, 300, 900, 1000, 1000]);
  });
});
