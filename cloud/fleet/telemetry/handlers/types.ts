/**
 * What every topic handler of the cloud-side subscriber shares: its context (the stores it
 * writes), the message it gets, and the outcome it reports. A handler never throws for bad
 * input; it returns 'dropped' with a reason, which the subscriber logs.
 */
import type { z } from 'zod';
import { parseBoundedJson } from '../../../../shared/io/json-depth.js';
import type { ParsedTopic } from '../../../../shared/types/topics.js';
import type { Awaitable, DeviceRegistryApi, TelemetryStoreApi } from '../../store/types.js';

/** The stores a handler writes: SQLite (answers at once) or PostgreSQL (answers a promise). */
export interface HandlerContext {
  readonly store: TelemetryStoreApi;
  readonly registry: DeviceRegistryApi;
}

export interface InboundMessage {
  readonly topic: ParsedTopic;
  readonly payload: Buffer;
  /** A retained copy replayed on subscribe, not a live message [MQTT-3.3.1-8]. */
  readonly retained: boolean;
}

export type Outcome =
  | { readonly result: 'stored' | 'duplicate' | 'updated' }
  /** A batch key seen before with other records (store.ts): stored apart, logged and counted. */
  | { readonly result: 'conflict' }
  /** A registry message for a device the registry does not hold. */
  | { readonly result: 'unknown-device' }
  | { readonly result: 'dropped'; readonly reason: string };

export type TopicHandler = (ctx: HandlerContext, msg: InboundMessage) => Awaitable<Outcome>;

/** The outcome of a store's answer, synchronous when the answer is (SQLite), a promise otherwise. */
export function outcomeOf<T>(answer: Awaitable<T>, toOutcome: (value: T) => Outcome): Awaitable<Outcome> {
  return answer instanceof Promise ? answer.then(toOutcome) : toOutcome(answer);
}

export function dropped(reason: string): Outcome {
  return { result: 'dropped', reason };
}

/** Parses a UTF-8 JSON payload, nesting bounded; a reason instead when it is not JSON or too deep. */
export function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: parseBoundedJson(payload.toString('utf8')) };
  } catch (err) {
    return { ok: false, reason: `payload is not JSON (${(err as Error).message})` };
  }
}

/** The first zod issue as 'field: message' (with `prefix` before the path). */
export function firstIssue(error: z.core.$ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  return `${path || 'payload'}: ${issue.message}`;
}
