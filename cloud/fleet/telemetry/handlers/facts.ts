/**
 * The versions and identity a `birth` or `reported` message carries (DESIGN rows `birth`:
 * runtime, library and model versions, profile, boot sequence; `reported`: what is applied).
 * A version may be given as a string or as an object with a `version` field.
 */
import { z } from 'zod';
import type { DeviceFacts } from '../../devices.js';
import type { Awaitable, DeviceRegistryApi } from '../../store/types.js';
import { dropped, firstIssue, outcomeOf, parseJson, type TopicHandler } from './types.js';

const Version = z.union([z.string().min(1), z.object({ version: z.string().min(1) }).loose()]);

export const DeviceFactsSchema = z
  .object({
    runtime: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
    library: Version.optional(),
    model: Version.optional(),
    libraryVersion: z.string().min(1).optional(),
    modelVersion: z.string().min(1).optional(),
    profile: z.string().min(1).optional(),
    boot: z.number().int().nonnegative().optional(),
  })
  .loose();

const versionOf = (v: z.output<typeof Version> | undefined) => (typeof v === 'string' ? v : v?.version);

const RuntimeFields = z.object({ name: z.string(), version: z.string(), engine: z.string() }).loose();

/** A birth's runtime object as one readable line, e.g. 'liquidkan-device 0.1.0 (native)'. */
function runtimeLabel(runtime: Record<string, unknown>): string {
  const r = RuntimeFields.safeParse(runtime);
  return r.success ? `${r.data.name} ${r.data.version} (${r.data.engine})` : JSON.stringify(runtime);
}

export function toFacts(data: z.output<typeof DeviceFactsSchema>): DeviceFacts {
  const facts: Record<string, string | number | undefined> = {
    libraryVersion: data.libraryVersion ?? versionOf(data.library),
    modelVersion: data.modelVersion ?? versionOf(data.model),
    runtime: typeof data.runtime === 'object' ? runtimeLabel(data.runtime) : data.runtime,
    profile: data.profile,
    boot: data.boot,
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as DeviceFacts;
}

/**
 * A handler for a message of device facts (`birth` or `reported`): parse, validate, then hand
 * the facts to the registry method that records that kind of message.
 */
export function factsHandler(
  record: (
    registry: DeviceRegistryApi,
    fleet: string,
    device: string,
    facts: DeviceFacts,
    raw: string,
    live: boolean,
  ) => Awaitable<boolean>,
): TopicHandler {
  return (ctx, msg) => {
    const json = parseJson(msg.payload);
    if (!json.ok) return dropped(json.reason);
    const parsed = DeviceFactsSchema.safeParse(json.value);
    if (!parsed.success) return dropped(firstIssue(parsed.error));
    const { fleet, device } = msg.topic;
    const known = record(
      ctx.registry,
      fleet,
      device,
      toFacts(parsed.data),
      JSON.stringify(parsed.data),
      !msg.retained,
    );
    return outcomeOf(known, (k) => (k ? { result: 'updated' } : { result: 'unknown-device' }));
  };
}
