/**
 * Chunk requests over MQTT (DESIGN rows `stream/{sid}/get`, `stream/{sid}/data`): fetch(i)
 * publishes {chunk: i} and waits for the frame with index i. One request is in flight at a time.
 * A StreamError answer, a frame that fails its own hash (decodeChunkFrame) or no answer within
 * the timeout fails that try, so the retry and backoff of download.ts apply; the download checks
 * the bytes against the signed manifest. Frames for other indexes (late answers to earlier
 * tries) are ignored. While the session is down, fetch waits for it to come back first.
 */
import { decodeChunkFrame } from '../../shared/release/chunks.js';
import type { ReleaseManifest } from '../../shared/types/release.js';
import { parseControl, StreamErrorSchema } from '../../shared/types/sync.js';
import { type DownloadProgress, ReleaseDownload, type RetryPolicy } from './download.js';

/** What the fetcher needs from the sync client. */
export interface ChunkTransport {
  requestChunk(sid: string, index: number): Promise<void>;
  waitConnected(signal?: AbortSignal): Promise<void>;
  on(event: 'stream-data', listener: (sid: string, payload: Uint8Array) => void): unknown;
  off(event: 'stream-data', listener: (sid: string, payload: Uint8Array) => void): unknown;
}

export interface ChunkFetcherOptions {
  /** Time to wait for one chunk, ms. @defaultValue 10000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface Pending {
  readonly index: number;
  resolve(bytes: Uint8Array): void;
  reject(err: Error): void;
}

export class ChunkFetcher {
  private pending: Pending | null = null;
  private readonly listener = (sid: string, payload: Uint8Array) => this.receive(sid, payload);
  /** Answers that failed a try (stream errors, corrupt frames, timeouts). */
  failures = 0;

  constructor(
    private readonly transport: ChunkTransport,
    readonly sid: string,
    private readonly o: ChunkFetcherOptions = {},
  ) {
    transport.on('stream-data', this.listener);
  }

  close(): void {
    this.transport.off('stream-data', this.listener);
    this.pending?.reject(new Error('chunk fetcher closed'));
    this.pending = null;
  }

  async fetch(index: number): Promise<Uint8Array> {
    const signal = this.o.signal;
    await this.transport.waitConnected(signal);
    signal?.throwIfAborted();
    return new Promise<Uint8Array>((resolve, reject) => {
      const timeoutMs = this.o.timeoutMs ?? 10_000;
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', abort);
        if (this.pending === p) this.pending = null;
      };
      const p: Pending = {
        index,
        resolve: (bytes) => {
          settle();
          resolve(bytes);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.failures++;
        p.reject(new Error(`chunk ${index}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const abort = () => p.reject(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      signal?.addEventListener('abort', abort, { once: true });
      this.pending?.reject(new Error(`chunk ${this.pending.index}: superseded by a request for ${index}`));
      this.pending = p;
      this.transport.requestChunk(this.sid, index).catch((err: unknown) => p.reject(err as Error));
    });
  }

  private receive(sid: string, payload: Uint8Array): void {
    const p = this.pending;
    if (sid !== this.sid || !p) return;
    if (payload[0] === 0x7b /* '{' */) {
      const r = parseControl(StreamErrorSchema, payload);
      if (!r.ok) return;
      if (r.value.chunk !== undefined && r.value.chunk !== p.index) return;
      this.failures++;
      p.reject(new Error(`chunk ${p.index}: the cloud answered '${r.value.error}'`));
      return;
    }
    let chunk: ReturnType<typeof decodeChunkFrame>;
    try {
      chunk = decodeChunkFrame(payload);
    } catch (err) {
      this.failures++;
      p.reject(err as Error);
      return;
    }
    if (chunk.index === p.index) p.resolve(chunk.bytes);
  }
}

export interface StreamDownloadOptions {
  /** A manifest verifyManifest has accepted. */
  readonly manifest: ReleaseManifest;
  /** The stream id (the payload sha256). */
  readonly sid: string;
  /** The device's data directory (progress under DATA/downloads). */
  readonly dataDir: string;
  readonly transport: ChunkTransport;
  readonly signal: AbortSignal;
  /** @defaultValue 10000 */
  readonly chunkTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Least time between two progress calls, ms (the last chunk always reports). @defaultValue 250 */
  readonly progressIntervalMs?: number;
  readonly onProgress: (p: DownloadProgress) => void;
  /** Called once when saved progress is found. */
  readonly onResume?: (p: DownloadProgress) => void;
}

/**
 * Download (or resume) a release's payload over `stream/{sid}/get|data` with ReleaseDownload;
 * the backoff waits end when the signal fires. Resolves with the verified payload.
 */
export async function downloadOverStream(o: StreamDownloadOptions): Promise<Uint8Array> {
  const fetcher = new ChunkFetcher(o.transport, o.sid, {
    ...(o.chunkTimeoutMs !== undefined ? { timeoutMs: o.chunkTimeoutMs } : {}),
    signal: o.signal,
  });
  const interval = o.progressIntervalMs ?? 250;
  let last = 0;
  const progress = (p: DownloadProgress) => {
    const now = Date.now();
    if (p.done !== p.total && now - last < interval) return;
    last = now;
    o.onProgress(p);
  };
  try {
    const dl = new ReleaseDownload({
      manifest: o.manifest,
      dataDir: o.dataDir,
      fetchChunk: (i) => fetcher.fetch(i),
      signal: o.signal,
      onProgress: progress,
      ...(o.retry ? { retry: o.retry } : {}),
    });
    const at = dl.progress();
    if (at.done > 0) o.onResume?.(at);
    progress(at);
    return (await dl.run()).payload;
  } finally {
    fetcher.close();
  }
}
