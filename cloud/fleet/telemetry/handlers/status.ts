/**
 * `status` (DESIGN row `status`: online / offline; the last will says `lost`). The payload may
 * be the bare word, a JSON string, or a JSON object with a `state` (or `status`) field.
 */
import { parseBoundedJson } from '../../../../shared/io/json-depth.js';
import { STATUS_VALUES, type StatusValue } from '../../../../shared/types/topics.js';
import { dropped, outcomeOf, type TopicHandler } from './types.js';

export function parseStatus(payload: Buffer): StatusValue | null {
  const text = payload.toString('utf8').trim();
  let value: unknown = text;
  try {
    value = parseBoundedJson(text);
  } catch {
    // the bare word
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    value = o['state'] ?? o['status'];
  }
  return typeof value === 'string' && (STATUS_VALUES as readonly string[]).includes(value)
    ? (value as StatusValue)
    : null;
}

export const statusHandler: TopicHandler = (ctx, msg) => {
  const state = parseStatus(msg.payload);
  if (!state) return dropped(`status must be one of ${STATUS_VALUES.join(', ')}`);
  const { fleet, device } = msg.topic;
  return outcomeOf(ctx.registry.recordStatus(fleet, device, state, !msg.retained), (known) =>
    known ? { result: 'updated' } : { result: 'unknown-device' },
  );
};
