/**
 * Resumable release download (DESIGN "Releases and sync (MQTT)", row `stream/{sid}/get`,
 * `stream/{sid}/data`: "chunk requests (resumable) and chunks"). Transport-agnostic: the caller
 * gives `fetchChunk(i)` (an MQTT request/response, a file read, a test double). Chunks are
 * fetched in order and checked against the signed manifest's chunks[i]; a corrupt or failed
 * chunk is refetched with bounded exponential backoff. Progress lives in the device's data dir:
 *
 *   DATA/downloads/{sha256}.part   the payload so far (chunk i at byte i·chunkBytes)
 *   DATA/downloads/{sha256}.json   {format, formatVersion, sha256, size, chunkBytes, next}
 *
 * The chunk is written and fsynced first, then the state file is replaced atomically, so a
 * process killed at any point resumes at `next` (re-checking the chunks it already holds).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { ManifestError } from '../../shared/errors.js';
import { writeFileAtomic } from '../../shared/io/atomic.js';
import { chunkLength, verifyChunk, verifyPayload } from '../../shared/release/chunks.js';
import type { ReleaseManifest } from '../../shared/types/release.js';

const STATE_FORMAT = 'liquidkan-download';

export interface RetryPolicy {
  /** Tries per chunk, the first included. @defaultValue 5 */
  readonly maxAttempts: number;
  /** Wait before the second try. @defaultValue 500 */
  readonly initialDelayMs: number;
  /** Each further wait is this many times the previous. @defaultValue 2 */
  readonly factor: number;
  /** Cap on one wait. @defaultValue 30000 */
  readonly maxDelayMs: number;
}

export const DOWNLOAD_DEFAULTS: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 30_000,
});

export interface DownloadProgress {
  /** Chunks held (verified) so far. */
  readonly done: number;
  readonly total: number;
  readonly bytes: number;
}

export interface DownloadOptions {
  /** A manifest that verifyManifest has accepted. */
  readonly manifest: ReleaseManifest;
  readonly fetchChunk: (index: number) => Promise<Uint8Array>;
  /** The device's data directory; state goes under DATA/downloads/. */
  readonly dataDir: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Injectable clock for the backoff waits. @defaultValue timers/promises setTimeout, aborted by `signal` */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly signal?: AbortSignal;
}

export interface DownloadResult {
  readonly payload: Uint8Array;
  /** Index the run started at (0 for a fresh download). */
  readonly resumedAt: number;
  /** Chunks fetched by this run (retries not counted). */
  readonly fetched: number;
  /** Failed tries that were retried. */
  readonly retries: number;
}

export function downloadPaths(dataDir: string, sha256: string): { state: string; part: string } {
  const dir = join(dataDir, 'downloads');
  return { state: join(dir, `${sha256}.json`), part: join(dir, `${sha256}.part`) };
}

/** Drop a download's saved progress. */
export function discardDownload(dataDir: string, sha256: string): void {
  const p = downloadPaths(dataDir, sha256);
  rmSync(p.state, { force: true });
  rmSync(p.part, { force: true });
}

/** Wait before try `attempt + 1` (attempt ≥ 1). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
}

/** One download of one release; a new instance over the same data dir resumes. */
export class ReleaseDownload {
  private readonly m: ReleaseManifest;
  private readonly paths: { state: string; part: string };
  private readonly policy: RetryPolicy;
  private next = 0;

  constructor(private readonly opts: DownloadOptions) {
    this.m = opts.manifest;
    this.paths = downloadPaths(opts.dataDir, this.m.sha256);
    this.policy = { ...DOWNLOAD_DEFAULTS, ...opts.retry };
    this.next = this.resumePoint();
  }

  /** Chunks already held, as found on disk when this instance started (then as it goes). */
  progress(): DownloadProgress {
    const bytes = Math.min(this.m.size, this.next * this.m.chunkBytes);
    return { done: this.next, total: this.m.chunks.length, bytes };
  }

  /** Saved state that matches this manifest, re-checked chunk by chunk against the part file. */
  private resumePoint(): number {
    let saved: Record<string, unknown> | undefined;
    try {
      saved = JSON.parse(readFileSync(this.paths.state, 'utf8')) as Record<string, unknown>;
    } catch {
      saved = undefined;
    }
    const m = this.m;
    const fits =
      saved?.['format'] === STATE_FORMAT &&
      saved['sha256'] === m.sha256 &&
      saved['size'] === m.size &&
      saved['chunkBytes'] === m.chunkBytes &&
      Number.isInteger(saved['next']);
    if (!fits || !existsSync(this.paths.part)) return 0;
    const claimed = Math.min(saved!['next'] as number, m.chunks.length);
    const part = readFileSync(this.paths.part);
    for (let i = 0; i < claimed; i++) {
      const start = i * m.chunkBytes;
      const bytes = part.subarray(start, start + chunkLength(m.size, m.chunkBytes, i));
      try {
        verifyChunk(m, i, bytes);
      } catch {
        return i;
      }
    }
    return claimed;
  }

  private saveState(): void {
    const { sha256, size, chunkBytes } = this.m;
    const state = { format: STATE_FORMAT, formatVersion: 1, sha256, size, chunkBytes, next: this.next };
    writeFileAtomic(this.paths.state, `${JSON.stringify(state)}\n`);
  }

  private writeChunk(index: number, bytes: Uint8Array): void {
    mkdirSync(join(this.opts.dataDir, 'downloads'), { recursive: true });
    const fd = openSync(this.paths.part, existsSync(this.paths.part) ? 'r+' : 'w');
    try {
      let off = 0;
      const pos = index * this.m.chunkBytes;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, pos + off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private async fetchVerified(index: number): Promise<{ bytes: Uint8Array; retries: number }> {
    // the backoff wait ends early when the download is aborted (the abort then rejects it)
    const sleep =
      this.opts.sleep ?? ((ms: number) => setTimeout(ms, undefined, { signal: this.opts.signal }));
    let last: unknown;
    for (let attempt = 1; attempt <= this.policy.maxAttempts; attempt++) {
      this.opts.signal?.throwIfAborted();
      try {
        const bytes = await this.opts.fetchChunk(index);
        verifyChunk(this.m, index, bytes);
        return { bytes, retries: attempt - 1 };
      } catch (err) {
        if (this.opts.signal?.aborted) throw err;
        last = err;
        if (attempt < this.policy.maxAttempts) await sleep(backoffDelayMs(this.policy, attempt));
      }
    }
    throw new ManifestError(
      `release ${this.m.version}: chunk ${index} of ${this.m.chunks.length} not obtained after ${this.policy.maxAttempts} tries (last: ${(last as Error)?.message ?? String(last)})`,
      { cause: last },
    );
  }

  /** Fetch the remaining chunks, assemble and verify the payload, then drop the saved state. */
  async run(): Promise<DownloadResult> {
    const resumedAt = this.next;
    if (resumedAt === 0) rmSync(this.paths.part, { force: true });
    else truncateSync(this.paths.part, Math.min(this.m.size, resumedAt * this.m.chunkBytes));
    let fetched = 0;
    let retries = 0;
    while (this.next < this.m.chunks.length) {
      const got = await this.fetchVerified(this.next);
      retries += got.retries;
      this.writeChunk(this.next, got.bytes);
      this.next += 1;
      fetched += 1;
      this.saveState();
      this.opts.onProgress?.(this.progress());
    }
    const payload = new Uint8Array(readFileSync(this.paths.part));
    try {
      verifyPayload(this.m, payload);
    } finally {
      // a payload that fails here cannot be repaired by resuming: start over next time
      discardDownload(this.opts.dataDir, this.m.sha256);
    }
    return { payload, resumedAt, fetched, retries };
  }
}

/** Download (or resume) a release's payload. */
export function downloadRelease(opts: DownloadOptions): Promise<DownloadResult> {
  return new ReleaseDownload(opts).run();
}
