/**
 * Release payloads on disk, `{dataDir}/releases/{sha256}.bin`, written atomically so a crash
 * never leaves a partial payload under a valid name. Chunk frames (shared/release/chunks.ts)
 * are built on first request and kept for the few most recent releases, so a fleet fetching the
 * same release reads and hashes each chunk once, not once per device.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic, writeFileAtomic } from '../../../shared/io/atomic.js';
import { chunkAt, encodeChunkFrame } from '../../../shared/release/chunks.js';
import type { PayloadStoreApi } from '../store/types.js';

export const PAYLOAD_DEFAULTS = Object.freeze({
  /** Releases whose payload and frames stay in memory. @defaultValue 4 */
  cachedReleases: 4,
});

interface Cached {
  readonly payload: Uint8Array;
  readonly frames: (Uint8Array | undefined)[];
}

export class PayloadStore implements PayloadStoreApi {
  readonly dir: string;
  readonly #cache = new Map<string, Cached>();
  readonly #max: number;

  constructor(dataDir: string, cachedReleases: number = PAYLOAD_DEFAULTS.cachedReleases) {
    this.dir = join(dataDir, 'releases');
    this.#max = Math.max(1, cachedReleases);
  }

  path(sha256: string): string {
    return join(this.dir, `${sha256}.bin`);
  }

  /** Where a release's files are unpacked (for the dashboard's library and model views). */
  unpackedDir(sha256: string): string {
    return join(this.dir, 'unpacked', sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.path(sha256));
  }

  /** Writes the payload and its unpacked files; the payload must already be verified. */
  write(sha256: string, payload: Uint8Array, files: Readonly<Record<string, Uint8Array>>): void {
    writeFileAtomic(this.path(sha256), payload);
    writeDirAtomic(this.unpackedDir(sha256), files);
  }

  /** The chunk frame of chunk `index`, or undefined when the payload is missing. */
  frame(sha256: string, index: number, chunkBytes: number): Uint8Array | undefined {
    const entry = this.#load(sha256);
    if (!entry) return undefined;
    let frame = entry.frames[index];
    if (!frame) {
      frame = encodeChunkFrame(chunkAt(entry.payload, index, chunkBytes));
      entry.frames[index] = frame;
    }
    return frame;
  }

  #load(sha256: string): Cached | undefined {
    const hit = this.#cache.get(sha256);
    if (hit) {
      // Re-insert so Map order is least recently used first.
      this.#cache.delete(sha256);
      this.#cache.set(sha256, hit);
      return hit;
    }
    if (!this.has(sha256)) return undefined;
    const entry: Cached = { payload: new Uint8Array(readFileSync(this.path(sha256))), frames: [] };
    this.#cache.set(sha256, entry);
    while (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value!);
    return entry;
  }
}
