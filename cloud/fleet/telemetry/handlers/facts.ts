/**
 * The versions and identity a `birth` or `reported` message carries (DESIGN rows `birth`:
 * runtime, library and model versions, profile, boot sequence; `reported`: what is applied).
 * Parsed with the same strict schemas the device builds them with (shared/types/sync.ts
 * BirthSchema, ReportedSchema), so what one side sends the other accepts: a version is null
 * on a device that has no library or no model release yet, and every string is bounded.
 */
import type { z } from 'zod';
import {
  type Birth,
  type BirthSchema,
  parseControl,
  type ReportedSchema,
} from '../../../../shared/types/sync.js';
import type { DeviceFacts } from '../../devices.js';
import type { Awaitable, DeviceRegistryApi } from '../../store/types.js';
import { dropped, outcomeOf, type TopicHandler } from './types.js';

/** A birth's runtime object as one readable line, e.g. 'liquidkan-device 0.1.0 (native)'. */
function runtimeLabel(runtime: Birth['runtime']): string {
  return `${runtime.name} ${runtime.version} (${runtime.engine})`;
}

export function birthFacts(b: Birth): DeviceFacts {
  return {
    libraryVersion: b.libraryVersion,
    modelVersion: b.modelVersion,
    runtime: runtimeLabel(b.runtime),
    profile: b.profile,
    boot: b.boot,
  };
}

export function reportedFacts(r: z.output<typeof ReportedSchema>): DeviceFacts {
  return { libraryVersion: r.libraryVersion, modelVersion: r.modelVersion, profile: r.profile };
}

type Record = (
  registry: DeviceRegistryApi,
  fleet: string,
  device: string,
  facts: DeviceFacts,
  raw: string,
  live: boolean,
) => Awaitable<boolean>;

/**
 * A handler for a message of device facts (`birth` or `reported`): bound, parse and validate
 * with `schema`, then hand the facts to the registry method that records that kind of message.
 */
export function factsHandler<S extends typeof BirthSchema | typeof ReportedSchema>(
  schema: S,
  toFacts: (value: z.output<S>) => DeviceFacts,
  record: Record,
): TopicHandler {
  return (ctx, msg) => {
    const parsed = parseControl(schema, msg.payload);
    if (!parsed.ok) return dropped(parsed.reason);
    const { fleet, device } = msg.topic;
    const known = record(
      ctx.registry,
      fleet,
      device,
      toFacts(parsed.value as z.output<S>),
      JSON.stringify(parsed.value),
      !msg.retained,
    );
    return outcomeOf(known, (k) => (k ? { result: 'updated' } : { result: 'unknown-device' }));
  };
}
