/**
 * An external Mosquitto (Debian's 2.0) with the embedded broker's accounts and ACLs (DESIGN
 * "Releases and sync (MQTT)": every part works unchanged against an external broker). Three
 * files in one folder, by default `{dataDir}/mosquitto/`:
 *
 *   passwd          `username:$7$…` lines, mosquitto_passwd's own format: PBKDF2-HMAC-SHA512,
 *                   101 iterations, 12-byte salt, 64-byte key, both base64 (mosquitto 2.0
 *                   src/password_mosq.c). Mosquitto reloads it on SIGHUP.
 *   acl             per-user blocks equivalent to auth.ts: a device writes its DEVICE_PUBLISH
 *                   topics and reads its DEVICE_SUBSCRIBE filters, below its own prefix; the
 *                   operator reads and writes `lk/v1/#`. Reloaded on SIGHUP.
 *   mosquitto.conf  two listeners, no anonymous access, the two files, the packet and queue
 *                   bounds. Devices connect to the first, where `use_username_as_clientid`
 *                   makes every client id its username (so no account can take over another's
 *                   session, [MQTT-3.1.4-2]: device N connecting as `plant.dev-m` kicked dev-m
 *                   off); the cloud's clients, several on the one operator account, connect to
 *                   the second, on loopback by default (`--broker` names it for the cloud).
 *
 * The registry keeps only scrypt hashes, so a device's Mosquitto entry can be written only while
 * its plaintext password is at hand: `liquidkan devices add` appends it when this folder exists
 * (`liquidkan devices mosquitto` creates the folder, with the operator account). Devices added
 * before that must be provisioned again to reach a Mosquitto broker.
 *
 * Where Mosquitto and the embedded broker differ: a denied PUBLISH is acknowledged and dropped
 * rather than closing the connection; a client id is replaced by the username rather than
 * refused; `max_packet_size` is one global bound for every account, the embedded broker's device
 * bound (256 KiB), which the operator's release chunks must fit too (the default chunk of
 * 64 KiB does; a release made with a larger --chunk-bytes needs a larger maxPacketBytes here).
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { TOPIC_PREFIX } from '../../../shared/types/topics.js';
import { writeSecretFile } from '../devices.js';
import { DEVICE_PUBLISH, DEVICE_SUBSCRIBE, type OperatorAccount } from './auth.js';

/** mosquitto_passwd's defaults for hash type 7 (PBKDF2-SHA512). */
export const MOSQUITTO_HASH = Object.freeze({ iterations: 101, saltBytes: 12, keyBytes: 64 });

export const MOSQUITTO_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 1883,
  /** The operator listener's interface. */
  operatorHost: '127.0.0.1',
  /** One global bound, as the embedded broker's for devices (broker.ts maxPacketBytes). */
  maxPacketBytes: 256 * 1024,
  /** Queued bytes per client beyond those in flight (the QoS 1 queue of a session away). */
  maxQueuedBytes: 64 * 1024 * 1024,
  /** Outgoing QoS 1 messages in flight per client (Mosquitto's default, 20, throttles the cloud's subscribers). */
  maxInflightMessages: 1000,
  /** Queued QoS 1 messages per persistent session beyond those in flight (Mosquitto's default is 1000). */
  maxQueuedMessages: 100_000,
});

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A `$7$iterations$salt$key` hash, as mosquitto_passwd writes it. */
export function mosquittoHash(
  password: string,
  options: { iterations?: number; salt?: Uint8Array } = {},
): string {
  const iterations = options.iterations ?? MOSQUITTO_HASH.iterations;
  const salt = options.salt ?? randomBytes(MOSQUITTO_HASH.saltBytes);
  const key = pbkdf2Sync(password, salt, iterations, MOSQUITTO_HASH.keyBytes, 'sha512');
  return `$7$${iterations}$${b64(salt)}$${b64(key)}`;
}

/** Checks a password against a `$7$` hash (for tests and tools; Mosquitto does its own). */
export function verifyMosquittoHash(password: string, stored: string): boolean {
  const [, type, iterations, salt, key] = stored.split('$');
  if (type !== '7' || !iterations || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const got = pbkdf2Sync(
    password,
    Buffer.from(salt, 'base64'),
    Number(iterations),
    expected.length,
    'sha512',
  );
  return timingSafeEqual(got, expected);
}

/** Mosquitto splits password lines on ':' and ACL lines on blanks. */
function checkUsername(username: string): string {
  if (!/^[^\s:#]{1,256}$/.test(username)) {
    throw new InputError(
      `username '${username}' cannot be a Mosquitto account (no ':', '#' or blanks, 1 to 256 characters)`,
    );
  }
  return username;
}

const fill = (template: string) => template.replace(/\{\w+\}/g, '+');

/** A device's ACL block: auth.ts's DEVICE_PUBLISH and DEVICE_SUBSCRIBE below `lk/v1/{fleet}/{id}/`. */
export function deviceAcl(device: { fleet: string; id: string; username: string }): string {
  const prefix = `${TOPIC_PREFIX}/${device.fleet}/${device.id}`;
  return [
    `user ${checkUsername(device.username)}`,
    ...DEVICE_PUBLISH.map((t) => `topic write ${prefix}/${fill(t)}`),
    ...DEVICE_SUBSCRIBE.map((t) => `topic read ${prefix}/${fill(t)}`),
  ].join('\n');
}

/** The operator's ACL block: everything under the topic prefix. */
export function operatorAcl(username: string): string {
  return `user ${checkUsername(username)}\ntopic readwrite ${TOPIC_PREFIX}/#`;
}

export interface MosquittoConfOptions {
  /** Folder of `passwd` and `acl` (and `persistence/` when asked for). */
  readonly dir: string;
  /** The device listener. @defaultValue 1883 */
  readonly port?: number;
  /** @defaultValue '127.0.0.1' (devices on other machines need e.g. '0.0.0.0') */
  readonly host?: string;
  /** The operator listener, for the cloud's own clients. @defaultValue port + 1 */
  readonly operatorPort?: number;
  /** @defaultValue '127.0.0.1' */
  readonly operatorHost?: string;
  /** Keep sessions and retained messages across restarts in `{dir}/persistence/`. @defaultValue false */
  readonly persistence?: boolean;
  /** @defaultValue MOSQUITTO_DEFAULTS.maxPacketBytes */
  readonly maxPacketBytes?: number;
  readonly maxInflightMessages?: number;
  readonly maxQueuedMessages?: number;
  /** @defaultValue MOSQUITTO_DEFAULTS.maxQueuedBytes */
  readonly maxQueuedBytes?: number;
  /** `user` to run as when started by root (Mosquitto otherwise switches to 'mosquitto'). */
  readonly user?: string;
  /** `log_type` values. @defaultValue ['error', 'warning', 'notice'] */
  readonly logTypes?: readonly string[];
}

/** A mosquitto.conf for the files in `dir`. */
export function mosquittoConf(options: MosquittoConfOptions): string {
  const o = { ...MOSQUITTO_DEFAULTS, ...options };
  const operatorPort = options.operatorPort ?? o.port + 1;
  const lines = [
    "# Written by liquidkan (cloud/fleet/broker/mosquitto.ts): the embedded broker's accounts and ACLs.",
    '# Devices: every client id is replaced by the username, so no account takes over another session.',
    `listener ${o.port} ${o.host}`,
    'use_username_as_clientid true',
    "# The cloud's clients (several on the operator account, each with its own client id).",
    `listener ${operatorPort} ${o.operatorHost}`,
    'allow_anonymous false',
    `password_file ${join(o.dir, 'passwd')}`,
    `acl_file ${join(o.dir, 'acl')}`,
    `max_packet_size ${o.maxPacketBytes}`,
    `max_inflight_messages ${o.maxInflightMessages}`,
    `max_queued_messages ${o.maxQueuedMessages}`,
    `max_queued_bytes ${o.maxQueuedBytes}`,
    // request/response over MQTT (chunk downloads) stalls ~40 ms per round trip under Nagle
    'set_tcp_nodelay true',
    'log_dest stderr',
    ...(options.logTypes ?? ['error', 'warning', 'notice']).map((t) => `log_type ${t}`),
    'connection_messages true',
  ];
  if (o.persistence) lines.push('persistence true', `persistence_location ${join(o.dir, 'persistence')}/`);
  if (o.user) lines.push(`user ${o.user}`);
  return `${lines.join('\n')}\n`;
}

interface Entry {
  hash: string;
  acl: string;
}

/**
 * The passwd and acl files of one folder, kept in step: one entry per username, the operator's
 * first. Writes are atomic with mode 0600; a running Mosquitto picks them up on SIGHUP.
 */
export class MosquittoFiles {
  readonly dir: string;
  readonly #entries = new Map<string, Entry>();

  constructor(dir: string) {
    this.dir = dir;
    if (existsSync(this.passwdPath)) this.#read();
  }

  /** `{dataDir}/mosquitto`, where `devices add` looks. */
  static dirFor(dataDir: string): string {
    return join(dataDir, 'mosquitto');
  }

  get passwdPath(): string {
    return join(this.dir, 'passwd');
  }

  get aclPath(): string {
    return join(this.dir, 'acl');
  }

  get confPath(): string {
    return join(this.dir, 'mosquitto.conf');
  }

  /** Whether the folder holds a password file (so new devices should be added to it). */
  get exists(): boolean {
    return existsSync(this.passwdPath);
  }

  usernames(): string[] {
    return [...this.#entries.keys()];
  }

  /** Puts (or replaces) the operator account and writes both files. */
  setOperator(operator: OperatorAccount): this {
    this.#entries.delete(operator.username);
    const rest = [...this.#entries];
    this.#entries.clear();
    this.#entries.set(operator.username, {
      hash: mosquittoHash(operator.password),
      acl: operatorAcl(operator.username),
    });
    for (const [k, v] of rest) this.#entries.set(k, v);
    return this.#write();
  }

  /** Puts (or replaces) devices, by their plaintext credentials, and writes both files once. */
  addDevices(devices: readonly { fleet: string; id: string; username: string; password: string }[]): this {
    for (const d of devices) {
      this.#entries.set(checkUsername(d.username), { hash: mosquittoHash(d.password), acl: deviceAcl(d) });
    }
    return this.#write();
  }

  /** Removes an account; false if it was not there. */
  remove(username: string): boolean {
    const had = this.#entries.delete(username);
    if (had) this.#write();
    return had;
  }

  /** Writes mosquitto.conf next to the two files; returns its path. */
  writeConf(options: Omit<MosquittoConfOptions, 'dir'> = {}): string {
    writeSecretFile(this.confPath, mosquittoConf({ ...options, dir: this.dir }));
    return this.confPath;
  }

  #write(): this {
    const entries = [...this.#entries];
    writeSecretFile(this.passwdPath, entries.map(([u, e]) => `${u}:${e.hash}\n`).join(''));
    const header = '# One block per account, written by liquidkan; every other topic is denied.\n';
    writeSecretFile(this.aclPath, header + entries.map(([, e]) => `${e.acl}\n`).join('\n'));
    return this;
  }

  #read(): void {
    const acls = new Map<string, string>();
    const blocks = readFileSync(this.aclPath, 'utf8').split(/\n(?=user )/);
    for (const block of blocks) {
      const uncommented = block.replace(/^#.*\n/gm, '');
      const m = /^user (\S+)\n/.exec(uncommented);
      if (m) acls.set(m[1]!, uncommented.trimEnd());
    }
    for (const line of readFileSync(this.passwdPath, 'utf8').split('\n')) {
      const at = line.indexOf(':');
      if (at <= 0) continue;
      const username = line.slice(0, at);
      const acl = acls.get(username);
      if (!acl) throw new InputError(`${this.aclPath}: no ACL block for '${username}' in ${this.passwdPath}`);
      this.#entries.set(username, { hash: line.slice(at + 1), acl });
    }
  }
}
