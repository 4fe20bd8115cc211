/**
 * A per-device byte budget for chunk answers (DESIGN row `stream/{sid}/get`): a token bucket
 * per device, so one device's credentials cannot make the cloud publish chunks faster than a
 * download needs. A device downloads one chunk at a time (device/sync/stream.ts), so an honest
 * download never comes near the bound; a request over it is not answered, and the device asks
 * again after its chunk timeout.
 */

export interface ChunkRateOptions {
  /** Bytes a device may be sent per second, sustained. @defaultValue 8 MiB */
  readonly bytesPerSecond?: number;
  /** Bytes a device may be sent at once after being idle. @defaultValue 16 MiB */
  readonly burstBytes?: number;
  /** Clock, ms. @defaultValue Date.now */
  readonly now?: () => number;
}

export const CHUNK_RATE_DEFAULTS = Object.freeze({
  bytesPerSecond: 8 * 1024 * 1024,
  burstBytes: 16 * 1024 * 1024,
});

interface Bucket {
  tokens: number;
  atMs: number;
}

export class ChunkRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();
  /** Requests refused since start, for logs and tests. */
  refused = 0;

  constructor(options: ChunkRateOptions = {}) {
    this.#rate = options.bytesPerSecond ?? CHUNK_RATE_DEFAULTS.bytesPerSecond;
    this.#burst = options.burstBytes ?? CHUNK_RATE_DEFAULTS.burstBytes;
    this.#now = options.now ?? Date.now;
  }

  /** Takes `bytes` from `device`'s budget; false (and nothing taken) when it has too little. */
  take(device: string, bytes: number): boolean {
    const now = this.#now();
    const b = this.#buckets.get(device) ?? { tokens: this.#burst, atMs: now };
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.atMs) / 1000) * this.#rate);
    b.atMs = now;
    this.#buckets.set(device, b);
    // a chunk larger than the whole burst still goes out from a full bucket
    if (b.tokens < Math.min(bytes, this.#burst)) {
      this.refused++;
      return false;
    }
    b.tokens -= bytes;
    // a bucket idle long enough to be full again carries no information: forget them, so the map holds only active devices
    if (this.#buckets.size > 10_000) {
      const refilledMs = (this.#burst / this.#rate) * 1000;
      for (const [k, v] of this.#buckets) if (now - v.atMs >= refilledMs) this.#buckets.delete(k);
    }
    return true;
  }
}
