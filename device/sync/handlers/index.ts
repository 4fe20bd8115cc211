/**
 * Routes an inbound message by its topic (DESIGN "Releases and sync (MQTT)", the rows whose
 * "from" is cloud) to its handler: one module per topic, each checking size and schema.
 */
import { type DeviceRef, type TopicKind, tryParseTopic } from '../../../shared/types/topics.js';
import { cmd } from './cmd.js';
import { desired } from './desired.js';
import { jobsNotify } from './jobs-notify.js';
import { streamData } from './stream-data.js';
import type { HandlerResult, InboundHandler } from './types.js';

export { MAX_STREAM_DATA_BYTES } from './stream-data.js';
export type { HandlerResult, InboundEvent } from './types.js';

const HANDLERS: Partial<Record<TopicKind, InboundHandler>> = {
  'jobs/notify': jobsNotify,
  desired,
  'stream/data': streamData,
  cmd,
};

/** The event a message on `topic` carries for device `self`, or why it is dropped. */
export function routeInbound(self: DeviceRef, topic: string, payload: Uint8Array): HandlerResult {
  const t = tryParseTopic(topic);
  if (!t || t.fleet !== self.fleet || t.device !== self.device)
    return { dropped: "not one of this device's topics" };
  const handler = HANDLERS[t.kind];
  if (!handler) return { dropped: `topic kind '${t.kind}' is not sent to devices` };
  return handler(t.rest, payload);
}
