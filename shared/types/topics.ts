/**
 * MQTT topic names, one source of truth for both sides. Implements the DESIGN table
 * "Releases and sync (MQTT)": prefix `lk/v1/{fleet}/{deviceId}/…`, one row per topic kind,
 * with who publishes it, its QoS and whether it is retained kept here as data (TOPIC_POLICY)
 * so the broker's ACLs and the clients' publish calls read the same table.
 */
import { InputError } from '../errors.js';

export const TOPIC_PREFIX = 'lk/v1';

/** Fleet and device ids: lowercase letters, digits and '-', 1 to 64 characters. */
export const ID_PATTERN = /^[a-z0-9-]{1,64}$/;
/** Job ids and stream ids inside a topic: one segment, no MQTT wildcards. */
export const PARAM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `cmd/…` commands (DESIGN row `cmd/…`: reselect, τ reset, rollback, rebirth). */
export const CMD_NAMES = ['reselect', 'tau-reset', 'rollback', 'rebirth'] as const;
export type CmdName = (typeof CMD_NAMES)[number];

/** Topic kinds; `jobs/update`, `stream/get`, `stream/data` and `cmd` carry one parameter segment. */
export const TOPIC_KINDS = [
  'status',
  'birth',
  'desired',
  'reported',
  'jobs/notify',
  'jobs/update',
  'stream/get',
  'stream/data',
  'tel/hunger',
  'tel/perf',
  'evt/drift',
  'evt/detection',
  'cmd',
] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
/** Kinds whose topic is fixed once fleet and device are known. */
export type PlainTopicKind = Exclude<TopicKind, 'jobs/update' | 'stream/get' | 'stream/data' | 'cmd'>;

const PARAM_KINDS = new Set<string>(['jobs/update', 'stream/get', 'stream/data', 'cmd']);

export interface TopicPolicy {
  /** Who publishes on it; the other side only subscribes. */
  readonly from: 'device' | 'cloud';
  /** QoS to publish with. */
  readonly qos: 0 | 1;
  /** Lowest QoS a publisher may use (below `qos` only for telemetry, DESIGN "0–1"). */
  readonly minQos: 0 | 1;
  readonly retain: boolean;
}

/** The DESIGN topic table as data, one entry per row (rows with two topics give two entries). */
export const TOPIC_POLICY: Readonly<Record<TopicKind, TopicPolicy>> = Object.freeze({
  status: { from: 'device', qos: 1, minQos: 1, retain: true },
  birth: { from: 'device', qos: 1, minQos: 1, retain: true },
  desired: { from: 'cloud', qos: 1, minQos: 1, retain: true },
  reported: { from: 'device', qos: 1, minQos: 1, retain: true },
  'jobs/notify': { from: 'cloud', qos: 1, minQos: 1, retain: true },
  'jobs/update': { from: 'device', qos: 1, minQos: 1, retain: false },
  'stream/get': { from: 'device', qos: 1, minQos: 1, retain: false },
  // QoS 0: a device asks for each chunk and asks again when one is lost (device/sync/stream.ts),
  // and at QoS 0 the broker queues no chunk for a session that is away or not reading (issue 16)
  'stream/data': { from: 'cloud', qos: 0, minQos: 0, retain: false },
  'tel/hunger': { from: 'device', qos: 1, minQos: 0, retain: false },
  'tel/perf': { from: 'device', qos: 1, minQos: 0, retain: false },
  'evt/drift': { from: 'device', qos: 1, minQos: 1, retain: false },
  /** Spotted keywords of voice models (issue 18; not a DESIGN row yet). */
  'evt/detection': { from: 'device', qos: 1, minQos: 0, retain: false },
  cmd: { from: 'cloud', qos: 1, minQos: 1, retain: false },
});

/** `status` payloads; the last will says `lost` (DESIGN row `status`). */
export const STATUS_VALUES = ['online', 'offline', 'lost'] as const;
export type StatusValue = (typeof STATUS_VALUES)[number];

export interface DeviceRef {
  readonly fleet: string;
  readonly device: string;
}

export interface ParsedTopic extends DeviceRef {
  readonly kind: TopicKind;
  /** The parameter segment: job id, stream id or command name; '' for plain kinds. */
  readonly rest: string;
}

function checkId(value: string, what: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new InputError(
      `${what} '${value}' must match ${ID_PATTERN.source} (lowercase letters, digits, '-')`,
    );
  }
  return value;
}

function checkParam(value: string, what: string): string {
  if (!PARAM_PATTERN.test(value)) {
    throw new InputError(`${what} '${value}' must match ${PARAM_PATTERN.source} (one topic segment)`);
  }
  return value;
}

/** `lk/v1/{fleet}/{device}` after checking both ids. */
export function devicePrefix(ref: DeviceRef): string {
  return `${TOPIC_PREFIX}/${checkId(ref.fleet, 'fleet id')}/${checkId(ref.device, 'device id')}`;
}

/** Topic of a fixed kind: status, birth, desired, reported, jobs/notify, tel/*, evt/drift. */
export function deviceTopic(ref: DeviceRef, kind: PlainTopicKind): string {
  if (!(TOPIC_KINDS as readonly string[]).includes(kind) || PARAM_KINDS.has(kind)) {
    throw new InputError(`topic kind '${kind}' is not a plain kind (use its own builder)`);
  }
  return `${devicePrefix(ref)}/${kind}`;
}

/** `jobs/{id}/update`: a job's progress and outcome, from the device. */
export function jobUpdateTopic(ref: DeviceRef, jobId: string): string {
  return `${devicePrefix(ref)}/jobs/${checkParam(jobId, 'job id')}/update`;
}

/** `stream/{sid}/get`: chunk requests, from the device. */
export function streamGetTopic(ref: DeviceRef, sid: string): string {
  return `${devicePrefix(ref)}/stream/${checkParam(sid, 'stream id')}/get`;
}

/** `stream/{sid}/data`: chunks, from the cloud. */
export function streamDataTopic(ref: DeviceRef, sid: string): string {
  return `${devicePrefix(ref)}/stream/${checkParam(sid, 'stream id')}/data`;
}

/** `cmd/{name}`: a command to the device, from the cloud. */
export function cmdTopic(ref: DeviceRef, name: CmdName): string {
  if (!(CMD_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`command '${name}' is not one of ${CMD_NAMES.join(', ')}`);
  }
  return `${devicePrefix(ref)}/cmd/${name}`;
}

/** Every topic of one device (`lk/v1/{fleet}/{device}/#`), for subscriptions and ACLs. */
export function deviceWildcard(ref: DeviceRef): string {
  return `${devicePrefix(ref)}/#`;
}

/** One plain kind across a fleet (`lk/v1/{fleet}/+/{kind}`), for the cloud's subscriptions. */
export function fleetWildcard(fleet: string, kind: PlainTopicKind): string {
  return `${TOPIC_PREFIX}/${checkId(fleet, 'fleet id')}/+/${kind}`;
}

/**
 * Split a concrete topic into fleet, device, kind and parameter. Throws an InputError naming
 * the topic and the offending part for anything outside the table (wildcards included).
 */
export function parseTopic(topic: string): ParsedTopic {
  const parts = topic.split('/');
  const bad = (why: string) => new InputError(`topic '${topic}': ${why}`);
  if (parts.length < 5 || `${parts[0]}/${parts[1]}` !== TOPIC_PREFIX) {
    throw bad(`expected ${TOPIC_PREFIX}/{fleet}/{device}/{kind}`);
  }
  const [, , fleet = '', device = '', ...tail] = parts;
  if (!ID_PATTERN.test(fleet)) throw bad(`fleet id '${fleet}' must match ${ID_PATTERN.source}`);
  if (!ID_PATTERN.test(device)) throw bad(`device id '${device}' must match ${ID_PATTERN.source}`);
  const ref = { fleet, device };
  const joined = tail.join('/');
  if ((TOPIC_KINDS as readonly string[]).includes(joined) && !PARAM_KINDS.has(joined)) {
    return { ...ref, kind: joined as TopicKind, rest: '' };
  }
  if (tail.length === 2 && tail[0] === 'cmd') {
    const name = tail[1]!;
    if (!(CMD_NAMES as readonly string[]).includes(name)) {
      throw bad(`command '${name}' is not one of ${CMD_NAMES.join(', ')}`);
    }
    return { ...ref, kind: 'cmd', rest: name };
  }
  if (tail.length === 3) {
    const [head, param = '', verb] = tail;
    const kind = `${head}/${verb}`;
    if (kind === 'jobs/update' || kind === 'stream/get' || kind === 'stream/data') {
      if (!PARAM_PATTERN.test(param)) throw bad(`'${param}' must match ${PARAM_PATTERN.source}`);
      return { ...ref, kind, rest: param };
    }
  }
  throw bad(`'${joined}' is not a known topic kind (${TOPIC_KINDS.join(', ')})`);
}

/** parseTopic that returns undefined instead of throwing (for routing and ACL checks). */
export function tryParseTopic(topic: string): ParsedTopic | undefined {
  try {
    return parseTopic(topic);
  } catch {
    return undefined;
  }
}
