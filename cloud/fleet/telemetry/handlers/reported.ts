/** `reported` (DESIGN row `desired` / `reported`, device side): the versions applied. */
import { DeviceFactsSchema, toFacts } from './facts.js';
import { dropped, firstIssue, parseJson, type TopicHandler } from './types.js';

export const reportedHandler: TopicHandler = (ctx, msg) => {
  const json = parseJson(msg.payload);
  if (!json.ok) return dropped(json.reason);
  const parsed = DeviceFactsSchema.safeParse(json.value);
  if (!parsed.success) return dropped(firstIssue(parsed.error));
  const { fleet, device } = msg.topic;
  const raw = JSON.stringify(parsed.data);
  return ctx.registry.recordReported(fleet, device, toFacts(parsed.data), raw, !msg.retained)
    ? { result: 'updated' }
    : { result: 'unknown-device' };
};
