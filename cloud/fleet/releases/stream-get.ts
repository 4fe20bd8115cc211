/**
 * `stream/{sid}/get` (DESIGN row `stream/{sid}/get`, `stream/{sid}/data`: "chunk requests
 * (resumable) and chunks"). A device asks for chunk i of stream sid (the payload's sha256); the
 * answer is that chunk's frame, or a StreamError when the stream is unknown, the index is out of
 * range, or the device holds no job for that release (a device gets only what it was sent).
 */
import { parseControl, type StreamError, StreamGetSchema } from '../../../shared/types/sync.js';
import type { ParsedTopic } from '../../../shared/types/topics.js';
import type { PayloadStoreApi, ReleaseStoreApi } from '../store/types.js';

export type StreamReply =
  | { readonly kind: 'frame'; readonly frame: Uint8Array }
  /** Answered with a StreamError; `why` is the log line. */
  | { readonly kind: 'error'; readonly error: StreamError; readonly why: string }
  /** Not answered (the request itself is malformed); `why` is the log line. */
  | { readonly kind: 'dropped'; readonly why: string };

const SHA256 = /^[0-9a-f]{64}$/;

export async function answerStreamGet(
  ctx: { readonly store: ReleaseStoreApi; readonly payloads: PayloadStoreApi },
  topic: ParsedTopic,
  payload: Buffer,
): Promise<StreamReply> {
  const req = parseControl(StreamGetSchema, payload);
  if (!req.ok) return { kind: 'dropped', why: req.reason };
  const { chunk } = req.value;
  const sid = topic.rest;
  const release = SHA256.test(sid) ? await ctx.store.getRelease(sid) : null;
  const unknown = (why: string): StreamReply => ({
    kind: 'error',
    error: { error: `unknown stream ${sid}`, chunk },
    why,
  });
  if (!release) return unknown('no such release');
  if (!(await ctx.store.deviceHasJobFor(topic.fleet, topic.device, sid))) {
    return unknown('the device holds no job for this release');
  }
  if (chunk >= release.chunks) {
    const error = `chunk ${chunk} is outside 0..${release.chunks - 1} of stream ${sid}`;
    return { kind: 'error', error: { error, chunk }, why: error };
  }
  const frame = await ctx.payloads.frame(sid, chunk, release.chunkBytes);
  if (!frame) return unknown('the payload file is missing');
  return { kind: 'frame', frame };
}
