/**
 * The device registry in PostgreSQL: the same records and rules as the SQLite registry
 * (cloud/fleet/devices.ts: scrypt hashes, never passwords; status, birth and reported facts),
 * shared by every cloud process.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { InputError } from '../../../../shared/errors.js';
import { ID_PATTERN } from '../../../../shared/types/topics.js';
import {
  DEVICE_STATES,
  type DeviceCredentials,
  type DeviceFacts,
  type DeviceRecord,
  type DeviceState,
  hashPassword,
  usernameFor,
  verifyPassword,
} from '../../devices.js';
import type { DeviceRegistryApi } from '../types.js';

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

const COLUMNS =
  'fleet, id, username, created_ms, state, last_seen_ms, library_version, model_version, runtime, profile, boot';

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

const FACT_COLUMNS: readonly [keyof DeviceFacts, string][] = [
  ['libraryVersion', 'library_version'],
  ['modelVersion', 'model_version'],
  ['runtime', 'runtime'],
  ['profile', 'profile'],
  ['boot', 'boot'],
];

let dummy: string | null = null;
const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

export class PgDeviceRegistry implements DeviceRegistryApi {
  readonly #pool: pg.Pool;
  readonly #now: () => number;

  constructor(pool: pg.Pool, options: { now?: () => number } = {}) {
    this.#pool = pool;
    this.#now = options.now ?? Date.now;
  }

  async addDevice(options: { fleet: string; id: string; broker?: string }): Promise<DeviceCredentials> {
    const { fleet, id, broker } = options;
    for (const [field, value] of [
      ['fleet', fleet],
      ['id', id],
    ] as const) {
      if (!ID_PATTERN.test(value)) {
        throw new InputError(
          `device ${field} '${value}' must match ${ID_PATTERN.source} (lowercase letters, digits, '-')`,
        );
      }
    }
    const username = usernameFor(fleet, id);
    const password = randomBytes(24).toString('base64url');
    const r = await this.#pool.query(
      `INSERT INTO devices (fleet, id, username, pass_hash, created_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [fleet, id, username, hashPassword(password), this.#now()],
    );
    if (r.rowCount === 0) throw new InputError(`device ${fleet}/${id} is already registered`);
    return { ...(broker ? { broker } : {}), fleet, id, username, password };
  }

  async removeDevice(fleet: string, id: string): Promise<boolean> {
    const r = await this.#pool.query('DELETE FROM devices WHERE fleet = $1 AND id = $2', [fleet, id]);
    return (r.rowCount ?? 0) > 0;
  }

  async authenticate(username: string, password: string): Promise<{ fleet: string; id: string } | null> {
    const r = await this.#pool.query<{ fleet: string; id: string; pass_hash: string }>(
      'SELECT fleet, id, pass_hash FROM devices WHERE username = $1',
      [username],
    );
    const row = r.rows[0];
    // an unknown user costs the same scrypt as a known one (devices.ts)
    const ok = await verifyPassword(password, row?.pass_hash ?? dummyHash());
    return row && ok ? { fleet: row.fleet, id: row.id } : null;
  }

  async listDevices(): Promise<DeviceRecord[]> {
    const r = await this.#pool.query<Row>(`SELECT ${COLUMNS} FROM devices ORDER BY fleet, id`);
    return r.rows.map(toRecord);
  }

  async getDevice(fleet: string, id: string): Promise<DeviceRecord | null> {
    const r = await this.#pool.query<Row>(`SELECT ${COLUMNS} FROM devices WHERE fleet = $1 AND id = $2`, [
      fleet,
      id,
    ]);
    return r.rows[0] ? toRecord(r.rows[0]) : null;
  }

  recordStatus(fleet: string, id: string, state: DeviceState, live: boolean): Promise<boolean> {
    return this.#update(fleet, id, { state }, live);
  }

  recordBirth(fleet: string, id: string, facts: DeviceFacts, raw: string, live: boolean): Promise<boolean> {
    return this.#update(fleet, id, { birth_json: raw, ...factColumns(facts) }, live);
  }

  recordReported(
    fleet: string,
    id: string,
    facts: DeviceFacts,
    raw: string,
    live: boolean,
  ): Promise<boolean> {
    return this.#update(fleet, id, { reported_json: raw, ...factColumns(facts) }, live);
  }

  close(): void {}

  async #update(fleet: string, id: string, sets: Record<string, unknown>, live: boolean): Promise<boolean> {
    const all = live ? { ...sets, last_seen_ms: this.#now() } : sets;
    const names = Object.keys(all);
    const r = await this.#pool.query(
      `UPDATE devices SET ${names.map((n, i) => `${n} = $${i + 3}`).join(', ')} WHERE fleet = $1 AND id = $2`,
      [fleet, id, ...Object.values(all)],
    );
    return (r.rowCount ?? 0) > 0;
  }
}

function factColumns(facts: DeviceFacts): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of FACT_COLUMNS) if (facts[key] !== undefined) out[column] = facts[key];
  return out;
}
