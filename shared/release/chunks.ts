/**
 * Chunking a release payload for `stream/{sid}/get` and `stream/{sid}/data` (DESIGN
 * "Releases and sync (MQTT)": "chunk requests (resumable) and chunks"). Chunk i covers bytes
 * [i·chunkBytes, min(size, (i+1)·chunkBytes)). A chunk frame on the wire, integers little-endian:
 *
 *   magic 4 bytes 'LKC1' | index u32 | sha256 32 bytes | chunk bytes (the rest)
 *
 * The frame's own sha256 catches corruption in transit; the signed manifest's chunks[i] is
 * what a chunk is finally checked against (verifyChunk).
 */
import { createHash } from 'node:crypto';
import { InputError, ManifestError, SignatureError } from '../errors.js';
import type { ReleaseManifest } from '../types/release.js';

export const CHUNK_FRAME_MAGIC = 'LKC1';
/** A chunk frame's header: magic, index, sha256. */
export const FRAME_HEADER_BYTES = 4 + 4 + 32;

export interface Chunk {
  readonly index: number;
  /** sha256 of `bytes`, hex. */
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function chunkCount(size: number, chunkBytes: number): number {
  if (!Number.isSafeInteger(size) || size < 0)
    throw new InputError(`payload size ${size} must be an integer ≥ 0`);
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new InputError(`chunkBytes ${chunkBytes} must be an integer ≥ 1`);
  }
  return Math.ceil(size / chunkBytes);
}

/** Length of chunk i of a payload of `size` bytes. */
export function chunkLength(size: number, chunkBytes: number, index: number): number {
  return Math.min(chunkBytes, size - index * chunkBytes);
}

export function chunkAt(payload: Uint8Array, index: number, chunkBytes: number): Chunk {
  const n = chunkCount(payload.length, chunkBytes);
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new InputError(`chunk index ${index} is outside 0..${n - 1}`);
  }
  const bytes = payload.subarray(index * chunkBytes, Math.min(payload.length, (index + 1) * chunkBytes));
  return { index, sha256: sha256Hex(bytes), bytes };
}

/** sha256 of every chunk in order (what a manifest's `chunks` lists). */
export function chunkHashes(payload: Uint8Array, chunkBytes: number): string[] {
  const n = chunkCount(payload.length, chunkBytes);
  return Array.from({ length: n }, (_, i) => chunkAt(payload, i, chunkBytes).sha256);
}

/** Throws a SignatureError unless `bytes` are exactly chunk `index` of the signed manifest. */
export function verifyChunk(manifest: ReleaseManifest, index: number, bytes: Uint8Array): void {
  const expected = manifest.chunks[index];
  if (expected === undefined) {
    throw new SignatureError(
      `chunk ${index}: release ${manifest.version} has chunks 0..${manifest.chunks.length - 1}`,
    );
  }
  const length = chunkLength(manifest.size, manifest.chunkBytes, index);
  if (bytes.length !== length) {
    throw new SignatureError(
      `chunk ${index} of release ${manifest.version}: ${bytes.length} bytes, the signed manifest says ${length}`,
    );
  }
  const digest = sha256Hex(bytes);
  if (digest !== expected) {
    throw new SignatureError(
      `chunk ${index} of release ${manifest.version}: sha256 ${digest} does not match the signed manifest's ${expected} (corrupt)`,
    );
  }
}

export function encodeChunkFrame(chunk: Chunk): Uint8Array {
  const out = Buffer.alloc(FRAME_HEADER_BYTES + chunk.bytes.length);
  out.write(CHUNK_FRAME_MAGIC, 0, 'ascii');
  out.writeUInt32LE(chunk.index, 4);
  out.write(chunk.sha256, 8, 'hex');
  out.set(chunk.bytes, FRAME_HEADER_BYTES);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Decode a chunk frame, refusing a bad header or bytes that do not match the frame's sha256. */
export function decodeChunkFrame(frame: Uint8Array): Chunk {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  if (buf.length < FRAME_HEADER_BYTES || buf.toString('ascii', 0, 4) !== CHUNK_FRAME_MAGIC) {
    throw new ManifestError(`chunk frame of ${buf.length} bytes: no '${CHUNK_FRAME_MAGIC}' header`);
  }
  const index = buf.readUInt32LE(4);
  const sha256 = buf.toString('hex', 8, FRAME_HEADER_BYTES);
  const bytes = new Uint8Array(buf.subarray(FRAME_HEADER_BYTES));
  const digest = sha256Hex(bytes);
  if (digest !== sha256) {
    throw new ManifestError(
      `chunk frame ${index}: bytes hash to ${digest}, the frame says ${sha256} (corrupt in transit)`,
    );
  }
  return { index, sha256, bytes };
}

/** Throws a SignatureError unless the payload is exactly the one the (verified) manifest signs. */
export function verifyPayload(manifest: ReleaseManifest, payload: Uint8Array): void {
  if (payload.length !== manifest.size) {
    throw new SignatureError(
      `release ${manifest.version}: payload is ${payload.length} bytes, the signed manifest says ${manifest.size} (truncated or padded)`,
    );
  }
  const digest = sha256Hex(payload);
  if (digest !== manifest.sha256) {
    throw new SignatureError(
      `release ${manifest.version}: payload sha256 ${digest} does not match the signed manifest's ${manifest.sha256}`,
    );
  }
}
