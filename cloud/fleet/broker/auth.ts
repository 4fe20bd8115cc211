/**
 * Broker policy: who may connect, publish and subscribe. Plain functions over a Principal, so a
 * deployment can replace any of them (startFleetBroker's `policy` option) without touching the
 * aedes glue in hooks.ts. The ACL tables are the DESIGN "Releases and sync (MQTT)" topic table,
 * read from the device's side: a device touches only `lk/v1/{fleet}/{its id}/…`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  TOPIC_KINDS,
  TOPIC_POLICY,
  TOPIC_PREFIX,
  type TopicKind,
  tryParseTopic,
} from '../../../shared/types/topics.js';
import type { DeviceRegistry } from '../devices.js';

export type Principal =
  | { readonly kind: 'operator'; readonly username: string }
  | { readonly kind: 'device'; readonly fleet: string; readonly id: string; readonly username: string };

/** Why a CONNECT was refused (MQTT 3.1.1 §3.2.2.3 CONNACK return codes 2 and 4). */
export type AuthFailure = 'identifier-rejected' | 'bad-credentials';

export interface BrokerPolicy {
  /** The principal for a CONNECT, or why it is refused. */
  authenticate(
    username: string | undefined,
    password: Buffer | undefined,
    clientId: string,
  ): Promise<Principal | AuthFailure>;
  authorizePublish(principal: Principal, topic: string): boolean;
  authorizeSubscribe(principal: Principal, filter: string): boolean;
}

export interface OperatorAccount {
  readonly username: string;
  readonly password: string;
}

/** A kind's topic below the device prefix, with `{x}` for its parameter level. */
export function kindTemplate(kind: TopicKind): string {
  switch (kind) {
    case 'jobs/update':
      return 'jobs/{id}/update';
    case 'stream/get':
      return 'stream/{sid}/get';
    case 'stream/data':
      return 'stream/{sid}/data';
    case 'cmd':
      return 'cmd/{name}';
    default:
      return kind;
  }
}

const kindsFrom = (from: 'device' | 'cloud') => TOPIC_KINDS.filter((k) => TOPIC_POLICY[k].from === from);

/** Topics a device publishes, below its own prefix: the DESIGN rows whose "from" is device. */
export const DEVICE_PUBLISH: readonly string[] = Object.freeze(kindsFrom('device').map(kindTemplate));

/**
 * Filters a device may subscribe to, below its own prefix: the rows whose "from" is cloud.
 * `{x}` may be `+`; `cmd/#` takes every command at once.
 */
export const DEVICE_SUBSCRIBE: readonly string[] = Object.freeze([
  ...kindsFrom('cloud').map(kindTemplate),
  'cmd/#',
]);

/**
 * Does the filter `levels` fit `template`? Literal levels must be equal; a `{x}` level takes
 * one concrete level or `+` [MQTT-4.7.1-3]; a template's `#` takes a trailing `#`
 * [MQTT-4.7.1-2]. A `#` or `+` anywhere else never fits.
 */
export function filterFits(levels: readonly string[], template: string): boolean {
  const parts = template.split('/');
  if (levels.length !== parts.length) return false;
  return parts.every((part, i) => {
    const level = levels[i]!;
    if (part === '#') return level === '#';
    if (part.startsWith('{')) return level !== '' && level !== '#';
    return level === part;
  });
}

/** A device may publish only to its own device-side topics (shared/types/topics.ts table). */
export function devicePublishAllowed(device: { fleet: string; id: string }, topic: string): boolean {
  const t = tryParseTopic(topic);
  return (
    t !== undefined &&
    t.fleet === device.fleet &&
    t.device === device.id &&
    TOPIC_POLICY[t.kind].from === 'device'
  );
}

/** A device may subscribe only to its own cloud-side topics; never across devices or fleets. */
export function deviceSubscribeAllowed(device: { fleet: string; id: string }, filter: string): boolean {
  const levels = filter.split('/');
  const prefix = `${TOPIC_PREFIX}/${device.fleet}/${device.id}`.split('/');
  if (levels.length <= prefix.length || prefix.some((p, i) => levels[i] !== p)) return false;
  const rest = levels.slice(prefix.length);
  return DEVICE_SUBSCRIBE.some((template) => filterFits(rest, template));
}

function sameSecret(a: Buffer, b: string): boolean {
  const digest = (x: Buffer | string) => createHash('sha256').update(x).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The default policy: the operator account may do everything but publish under `$SYS/`
 * (aedes's own default); a device authenticates against the registry, must use its username
 * as its client id (so no device can take over another's persistent session,
 * [MQTT-3.1.3-2]), and is held to DEVICE_PUBLISH / DEVICE_SUBSCRIBE.
 */
export function createPolicy(registry: DeviceRegistry, operator: OperatorAccount): BrokerPolicy {
  return {
    async authenticate(username, password, clientId) {
      if (username === undefined || password === undefined) return 'bad-credentials';
      if (username === operator.username) {
        // the same scrypt as a device's check (the registry holds no such user), so timing
        // does not tell the operator's username from any other
        await registry.authenticate(username, password.toString('utf8'));
        return sameSecret(password, operator.password) ? { kind: 'operator', username } : 'bad-credentials';
      }
      const device = await registry.authenticate(username, password.toString('utf8'));
      if (!device) return 'bad-credentials';
      if (clientId !== username) return 'identifier-rejected';
      return { kind: 'device', fleet: device.fleet, id: device.id, username };
    },
    authorizePublish(principal, topic) {
      if (principal.kind === 'operator') return !topic.startsWith('$SYS/');
      return devicePublishAllowed(principal, topic);
    },
    authorizeSubscribe(principal, filter) {
      if (principal.kind === 'operator') return true;
      return deviceSubscribeAllowed(principal, filter);
    },
  };
}
