/** `birth` (DESIGN row `birth`): runtime, library and model versions, profile, boot sequence. */
import { DeviceFactsSchema, toFacts } from './facts.js';
import { dropped, firstIssue, parseJson, type TopicHandler } from './types.js';

export const birthHandler: TopicHandler = (ctx, msg) => {
  const json = parseJson(msg.payload);
  if (!json.ok) return dropped(json.reason);
  const parsed = DeviceFactsSchema.safeParse(json.value);
  if (!parsed.success) return dropped(firstIssue(parsed.error));
  const { fleet, device } = msg.topic;
  const raw = JSON.stringify(parsed.data);
  return ctx.registry.recordBirth(fleet, device, toFacts(parsed.data), raw, !msg.retained)
    ? { result: 'updated' }
    : { result: 'unknown-device' };
};
