/**
 * The store interfaces the fleet service reads and writes through, with two implementations:
 * SQLite files in the data directory (the embedded default: cloud/fleet/devices.ts,
 * cloud/fleet/telemetry/store.ts) and PostgreSQL shared by several cloud processes
 * (cloud/fleet/store/postgres/). SQLite answers synchronously and PostgreSQL over the network,
 * so every method may return a promise: callers `await` it, and one test suite
 * (tests/cloud/fleet/store/) runs against both.
 */
import type { DeviceCredentials, DeviceFacts, DeviceRecord, DeviceState } from '../devices.js';
import type { TelemetryKind } from '../telemetry/kinds/index.js';
import type { BatchKey, DeviceKey, StoredRecord } from '../telemetry/store.js';

export type Awaitable<T> = T | Promise<T>;

/**
 * A batch's identity. `install` names one installation of the device runtime (a random id in
 * the device's state, so a reset device never collides with its own earlier streams); a batch
 * without it is keyed with install ''. Duplicates are removed on (kind, fleet, device, install,
 * stream, seq).
 */
export interface InstallBatchKey extends BatchKey {
  readonly install?: string;
}

export interface TelemetryStoreApi {
  /** Stores one validated batch whole, or nothing when it is a duplicate. */
  insertBatch(
    kind: TelemetryKind,
    key: InstallBatchKey,
    records: readonly Record<string, unknown>[],
  ): Awaitable<'stored' | 'duplicate'>;
  count(kind: TelemetryKind, device?: DeviceKey): Awaitable<number>;
  /** One device's records of one kind, oldest batch first. */
  records(kind: TelemetryKind, device: DeviceKey): Awaitable<StoredRecord[]>;
  /** At most `limit` records: those received after `sinceMs`, else the latest ones; oldest first. */
  query(
    kind: TelemetryKind,
    device: DeviceKey,
    options: { sinceMs?: number; limit: number },
  ): Awaitable<StoredRecord[]>;
  /** Deletes what was received before now − retention; the count of records deleted. */
  prune(): Awaitable<number>;
  close(): Awaitable<void>;
}

export interface DeviceRegistryApi {
  addDevice(options: { fleet: string; id: string; broker?: string }): Awaitable<DeviceCredentials>;
  removeDevice(fleet: string, id: string): Awaitable<boolean>;
  authenticate(username: string, password: string): Promise<{ fleet: string; id: string } | null>;
  listDevices(): Awaitable<DeviceRecord[]>;
  getDevice(fleet: string, id: string): Awaitable<DeviceRecord | null>;
  recordStatus(fleet: string, id: string, state: DeviceState, live: boolean): Awaitable<boolean>;
  recordBirth(fleet: string, id: string, facts: DeviceFacts, raw: string, live: boolean): Awaitable<boolean>;
  recordReported(
    fleet: string,
    id: string,
    facts: DeviceFacts,
    raw: string,
    live: boolean,
  ): Awaitable<boolean>;
  close(): Awaitable<void>;
}
