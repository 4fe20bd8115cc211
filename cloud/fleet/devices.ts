/**
 * Device provisioning and the fleet registry (DESIGN "Releases and sync (MQTT)": per-device
 * credentials and ACLs). One SQLite file, `{dataDir}/devices.db`, holds each device's identity,
 * a scrypt hash of its password (never the password), and what the fleet service last heard
 * from it: `status` (online / offline / lost), `birth` and `reported` versions.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { ID_PATTERN } from '../../shared/types/topics.js';
import type { DeviceRegistryApi } from './store/types.js';
import { type Database, openDatabase } from './telemetry/sqlite.js';

/** What a device needs to connect; written once to its credentials file. */
export interface DeviceCredentials {
  /** Broker URL, e.g. mqtt://10.0.0.2:1883, when known at provisioning time. */
  readonly broker?: string;
  readonly fleet: string;
  readonly id: string;
  /** `{fleet}.{id}`; the device must also use it as its MQTT client id. */
  readonly username: string;
  readonly password: string;
}

/** Connection state from the `status` topic; 'unknown' until the device first reports. */
export type DeviceState = 'unknown' | 'online' | 'offline' | 'lost';
export const DEVICE_STATES: readonly DeviceState[] = ['unknown', 'online', 'offline', 'lost'];

export interface DeviceRecord {
  readonly fleet: string;
  readonly id: string;
  readonly username: string;
  readonly createdMs: number;
  readonly state: DeviceState;
  readonly online: boolean;
  /** When a live (non-retained) message from the device was last seen; null if never. */
  readonly lastSeenMs: number | null;
  readonly libraryVersion: string | null;
  readonly modelVersion: string | null;
  readonly runtime: string | null;
  readonly profile: string | null;
  readonly boot: number | null;
}

/**
 * Fields a `birth` or `reported` message may carry; absent fields keep their stored value, a
 * null version (no release of that kind installed) is stored as null.
 */
export interface DeviceFacts {
  readonly libraryVersion?: string | null;
  readonly modelVersion?: string | null;
  readonly runtime?: string;
  readonly profile?: string;
  readonly boot?: number;
}

/** scrypt cost parameters (RFC 7914): N = 2^14, r = 8, p = 1, 32-byte key, 16-byte salt. */
export const SCRYPT = Object.freeze({ N: 16384, r: 8, p: 1, keyBytes: 32, saltBytes: 16 });

/** '.' never occurs in an id, and unlike ':' Mosquitto's password file can hold it (broker/mosquitto.ts). */
export function usernameFor(fleet: string, id: string): string {
  return `${fleet}.${id}`;
}

export function hashPassword(password: string): string {
  const salt = randomBytes(SCRYPT.saltBytes);
  const key = scryptSync(password, salt, SCRYPT.keyBytes, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

let dummy: string | null = null;
const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

/** Constant-time check of a password against a stored `scrypt$N$r$p$salt$key` hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, salt, key] = stored.split('$');
  if (tag !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const got = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password,
      Buffer.from(salt, 'base64'),
      expected.length,
      { N: Number(n), r: Number(r), p: Number(p) },
      (err, derived) => (err ? reject(err) : resolve(derived)),
    ),
  );
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Writes a file only its owner can read (mode 0600 from creation), atomically by rename. */
export function writeSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS devices (
  fleet TEXT NOT NULL,
  id TEXT NOT NULL,
  username TEXT NOT NULL UNIQUE,
  pass_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'unknown',
  last_seen_ms INTEGER,
  library_version TEXT,
  model_version TEXT,
  runtime TEXT,
  profile TEXT,
  boot INTEGER,
  birth_json TEXT,
  reported_json TEXT,
  PRIMARY KEY (fleet, id)
);`;

interface Row {
  fleet: string;
  id: string;
  username: string;
  created_ms: number;
  state: string;
  last_seen_ms: number | null;
  library_version: string | null;
  model_version: string | null;
  runtime: string | null;
  profile: string | null;
  boot: number | null;
}

function toRecord(r: Row): DeviceRecord {
  const state = (DEVICE_STATES as readonly string[]).includes(r.state) ? (r.state as DeviceState) : 'unknown';
  return {
    fleet: r.fleet,
    id: r.id,
    username: r.username,
    createdMs: r.created_ms,
    state,
    online: state === 'online',
    lastSeenMs: r.last_seen_ms,
    libraryVersion: r.library_version,
    modelVersion: r.model_version,
    runtime: r.runtime,
    profile: r.profile,
    boot: r.boot,
  };
}

function checkName(field: 'fleet' | 'id', value: string): void {
  if (!ID_PATTERN.test(value)) {
    throw new InputError(
      `device ${field} '${value}' must match ${ID_PATTERN.source} (lowercase letters, digits, '-')`,
    );
  }
}

export class DeviceRegistry implements DeviceRegistryApi {
  readonly path: string;
  readonly #db: Database;
  readonly #now: () => number;

  private constructor(path: string, db: Database, now: () => number) {
    this.path = path;
    this.#db = db;
    this.#now = now;
  }

  /**
   * Opens `{dataDir}/devices.db`, creating the directory and the table if needed (unless
   * `mustExist`, for readers such as `devices list`).
   */
  static open(dataDir: string, options: { now?: () => number; mustExist?: boolean } = {}): DeviceRegistry {
    const path = join(dataDir, 'devices.db');
    if (options.mustExist && !existsSync(path)) {
      throw new InputError(`${path}: no device registry here (run 'liquidkan devices add' first)`);
    }
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(path);
    db.exec(SCHEMA);
    return new DeviceRegistry(path, db, options.now ?? Date.now);
  }

  /** Provisions a device with a fresh random password; refuses an id that already exists. */
  addDevice(options: { fleet: string; id: string; broker?: string }): DeviceCredentials {
    const { fleet, id, broker } = options;
    checkName('fleet', fleet);
    checkName('id', id);
    const username = usernameFor(fleet, id);
    const password = randomBytes(24).toString('base64url');
    const result = this.#db
      .prepare(
        'INSERT OR IGNORE INTO devices (fleet, id, username, pass_hash, created_ms) VALUES (?, ?, ?, ?, ?)',
      )
      .run(fleet, id, username, hashPassword(password), this.#now());
    if (result.changes === 0) throw new InputError(`device ${fleet}/${id} is already registered`);
    return { ...(broker ? { broker } : {}), fleet, id, username, password };
  }

  /** Removes a device (its credentials stop working on the next connect); false if absent. */
  removeDevice(fleet: string, id: string): boolean {
    return this.#db.prepare('DELETE FROM devices WHERE fleet = ? AND id = ?').run(fleet, id).changes > 0;
  }

  /** The device a username/password pair belongs to, or null. */
  async authenticate(username: string, password: string): Promise<{ fleet: string; id: string } | null> {
    const row = this.#db
      .prepare('SELECT fleet, id, pass_hash FROM devices WHERE username = ?')
      .get(username) as { fleet: string; id: string; pass_hash: string } | undefined;
    // An unknown user costs the same scrypt as a known one, so timing does not tell them apart.
    const ok = await verifyPassword(password, row?.pass_hash ?? dummyHash());
    return row && ok ? { fleet: row.fleet, id: row.id } : null;
  }

  listDevices(): DeviceRecord[] {
    return (this.#db.prepare('SELECT * FROM devices ORDER BY fleet, id').all() as Row[]).map(toRecord);
  }

  getDevice(fleet: string, id: string): DeviceRecord | null {
    const row = this.#db.prepare('SELECT * FROM devices WHERE fleet = ? AND id = ?').get(fleet, id);
    return row ? toRecord(row as Row) : null;
  }

  /** `status` row of the DESIGN table; `live` is false for a retained copy replayed on subscribe. */
  recordStatus(fleet: string, id: string, state: DeviceState, live: boolean): boolean {
    return this.#update(fleet, id, 'state = ?', [state], live);
  }

  /** `birth` row: runtime, library and model versions, profile, boot sequence. */
  recordBirth(fleet: string, id: string, facts: DeviceFacts, raw: string, live: boolean): boolean {
    return this.#updateFacts(fleet, id, facts, 'birth_json', raw, live);
  }

  /** `reported` row: what the device has applied. */
  recordReported(fleet: string, id: string, facts: DeviceFacts, raw: string, live: boolean): boolean {
    return this.#updateFacts(fleet, id, facts, 'reported_json', raw, live);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #updateFacts(
    fleet: string,
    id: string,
    facts: DeviceFacts,
    column: 'birth_json' | 'reported_json',
    raw: string,
    live: boolean,
  ): boolean {
    const sets = [`${column} = ?`];
    const values: unknown[] = [raw];
    const columns: [keyof DeviceFacts, string][] = [
      ['libraryVersion', 'library_version'],
      ['modelVersion', 'model_version'],
      ['runtime', 'runtime'],
      ['profile', 'profile'],
      ['boot', 'boot'],
    ];
    for (const [key, col] of columns) {
      if (facts[key] !== undefined) {
        sets.push(`${col} = ?`);
        values.push(facts[key]);
      }
    }
    return this.#update(fleet, id, sets.join(', '), values, live);
  }

  #update(fleet: string, id: string, sets: string, values: unknown[], live: boolean): boolean {
    const seen = live ? ', last_seen_ms = ?' : '';
    const params = live ? [...values, this.#now(), fleet, id] : [...values, fleet, id];
    return (
      this.#db.prepare(`UPDATE devices SET ${sets}${seen} WHERE fleet = ? AND id = ?`).run(...params)
        .changes > 0
    );
  }
}
