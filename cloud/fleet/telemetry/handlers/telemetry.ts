/**
 * `tel/hunger`, `tel/perf` and `evt/drift` (DESIGN rows of the same names): a JSON batch
 * { stream, seq, records[] } from the device's outbox. The whole batch is validated before
 * anything is stored; one bad record drops the batch, so a batch is stored whole or not at all.
 */
import {
  MAX_BATCH_RECORDS,
  type TelemetryBatch,
  TelemetryBatchSchema,
} from '../../../../shared/types/telemetry.js';
import { KIND_SPECS, type TelemetryKind } from '../kinds/index.js';
import { dropped, firstIssue, outcomeOf, parseJson, type TopicHandler } from './types.js';

export { MAX_BATCH_RECORDS, type TelemetryBatch, TelemetryBatchSchema };

export function batchHandler(kind: TelemetryKind): TopicHandler {
  const spec = KIND_SPECS[kind];
  return (ctx, msg) => {
    const json = parseJson(msg.payload);
    if (!json.ok) return dropped(json.reason);
    const batch = TelemetryBatchSchema.safeParse(json.value);
    if (!batch.success) return dropped(firstIssue(batch.error));
    const records: Record<string, unknown>[] = [];
    for (const [i, raw] of batch.data.records.entries()) {
      const r = spec.record.safeParse(raw);
      if (!r.success) return dropped(firstIssue(r.error, `records.${i}`));
      records.push(r.data);
    }
    const { fleet, device } = msg.topic;
    const result = ctx.store.insertBatch(
      kind,
      { fleet, device, stream: batch.data.stream, seq: batch.data.seq },
      records,
    );
    return outcomeOf(result, (r) => ({ result: r }));
  };
}
