/**
 * Release payloads in PostgreSQL: `release_chunks`, one row per chunk of the manifest (its
 * bytes and sha256), keyed by (release sha256, index).
 *
 * Why a table and not a directory all processes share: a chunk request reaches whichever cloud
 * process the broker's shared subscription picks, so every process must read every payload.
 * A table needs nothing more than the database the processes already share (no NFS mount to
 * provision, keep consistent and back up apart), a payload is written in the same commit
 * discipline as the rest (all chunks or none), and one request reads one row of at most
 * `chunkBytes`. Payloads are small (libraries and models: KBs to a few MB), so the table stays
 * small next to the telemetry. Frames are kept in memory for the few most recent releases, as
 * the file store does (releases/payloads.ts), so a fleet fetching one release reads each chunk
 * from the database once per process. Unpacked files are not kept here: a shared cloud unpacks
 * the newest library and model for its dashboard itself (scale/latest-releases.ts).
 */
import type pg from 'pg';
import { chunkAt, encodeChunkFrame, sha256Hex } from '../../../../shared/release/chunks.js';
import { PAYLOAD_DEFAULTS } from '../../releases/payloads.js';
import type { PayloadStoreApi } from '../types.js';
import { inTransaction } from './connect.js';

export class PgPayloadStore implements PayloadStoreApi {
  readonly #pool: pg.Pool;
  /** Frames by release, least recently used first. */
  readonly #frames = new Map<string, (Uint8Array | undefined)[]>();
  readonly #max: number;

  constructor(pool: pg.Pool, cachedReleases: number = PAYLOAD_DEFAULTS.cachedReleases) {
    this.#pool = pool;
    this.#max = Math.max(1, cachedReleases);
  }

  /** All chunks in one transaction; a payload written before is left as it is. */
  async write(
    sha256: string,
    payload: Uint8Array,
    _files: Readonly<Record<string, Uint8Array>>,
    chunkBytes: number,
  ): Promise<void> {
    const n = Math.ceil(payload.length / chunkBytes);
    const chunks = Array.from({ length: n }, (_, i) => chunkAt(payload, i, chunkBytes));
    await inTransaction(this.#pool, async (c) => {
      // a few MB at most, but one statement per chunk keeps each bind small
      for (const chunk of chunks) {
        await c.query(
          'INSERT INTO release_chunks (release, idx, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [sha256, chunk.index, Buffer.from(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.length)],
        );
      }
    });
  }

  /** The whole payload, its chunks in order, or undefined when it is not stored. */
  async payload(sha256: string): Promise<Uint8Array | undefined> {
    const r = await this.#pool.query<{ data: Buffer }>(
      'SELECT data FROM release_chunks WHERE release = $1 ORDER BY idx',
      [sha256],
    );
    if (r.rows.length === 0) return undefined;
    return new Uint8Array(Buffer.concat(r.rows.map((row) => row.data)));
  }

  async frame(sha256: string, index: number, _chunkBytes: number): Promise<Uint8Array | undefined> {
    let frames = this.#frames.get(sha256);
    if (frames) {
      this.#frames.delete(sha256);
      this.#frames.set(sha256, frames);
      const hit = frames[index];
      if (hit) return hit;
    }
    const r = await this.#pool.query<{ data: Buffer }>(
      'SELECT data FROM release_chunks WHERE release = $1 AND idx = $2',
      [sha256, index],
    );
    const data = r.rows[0]?.data;
    if (!data) return undefined;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
    // hashed here once per process, as the file store does
    const frame = encodeChunkFrame({ index, sha256: sha256Hex(bytes), bytes });
    frames = this.#frames.get(sha256) ?? [];
    frames[index] = frame;
    this.#frames.set(sha256, frames);
    while (this.#frames.size > this.#max) this.#frames.delete(this.#frames.keys().next().value!);
    return frame;
  }
}
