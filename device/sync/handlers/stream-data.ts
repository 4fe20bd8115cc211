/**
 * `stream/{sid}/data` (DESIGN row `stream/{sid}/data`, cloud → device): a chunk frame or a JSON
 * StreamError. Only the size is checked here; the download decodes and verifies the frame
 * against the signed manifest (device/sync/stream.ts).
 */
import { FRAME_HEADER_BYTES } from '../../../shared/release/chunks.js';
import { MAX_CHUNK_BYTES } from '../../../shared/types/release.js';
import type { InboundHandler } from './types.js';

/** A chunk frame's header (magic, index, sha256) on top of the largest chunk. */
export const MAX_STREAM_DATA_BYTES = MAX_CHUNK_BYTES + FRAME_HEADER_BYTES;

export const streamData: InboundHandler = (sid, payload) => {
  if (payload.byteLength > MAX_STREAM_DATA_BYTES) {
    return { dropped: `stream data of ${payload.byteLength} bytes is over ${MAX_STREAM_DATA_BYTES}` };
  }
  return { kind: 'stream-data', sid, payload };
};
