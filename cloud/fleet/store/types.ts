/**
 * The store interfaces the fleet service reads and writes through, with two implementations:
 * SQLite files in the data directory (the embedded default: cloud/fleet/devices.ts,
 * cloud/fleet/telemetry/store.ts) and PostgreSQL shared by several cloud processes
 * (cloud/fleet/store/postgres/). SQLite answers synchronously and PostgreSQL over the network,
 * so every method may return a promise: callers `await` it, and one test suite
 * (tests/cloud/fleet/store/) runs against both.
 */

import type { ActivationLibrary } from '../../../shared/library/library.js';
import type { ReleaseKind, ReleaseManifest } from '../../../shared/types/release.js';
import type { DeviceCredentials, DeviceFacts, DeviceRecord, DeviceState } from '../devices.js';
import type { GroupCount, HungryRow } from '../loop/hunger-query.js';
import type { CycleRecord } from '../loop/types.js';
import type { EndedRollout, IssuedJob } from '../releases/rollout-writes.js';
import type { DesiredDoc } from '../releases/store.js';
import type {
  CloudJobState,
  JobCounts,
  JobRecord,
  RolloutRecord,
  RolloutState,
  StoredRelease,
} from '../releases/types.js';
import type { TelemetryKind } from '../telemetry/kinds/index.js';
import type { BatchKey, DeviceKey, RecordCursor, StoredRecord } from '../telemetry/store.js';

export type Awaitable<T> = T | Promise<T>;

export interface TelemetryStoreApi {
  /**
   * Stores one validated batch whole. Keyed on (kind, fleet, device, stream, seq); a device names
   * its streams per install (`{install}-b{boot}`), so the key is in effect (install, stream, seq).
   * 'duplicate' when that key holds the same records (a resend: nothing written), 'conflict'
   * when it holds others (stored apart and counted, telemetry/store.ts's header).
   */
  insertBatch(
    kind: TelemetryKind,
    key: BatchKey,
    records: readonly Record<string, unknown>[],
  ): Awaitable<'stored' | 'duplicate' | 'conflict'>;
  /** Batches that arrived again with other records, optionally for one device. */
  conflicts(device?: DeviceKey): Awaitable<number>;
  count(kind: TelemetryKind, device?: DeviceKey): Awaitable<number>;
  /** One device's records of one kind, oldest batch first. */
  records(kind: TelemetryKind, device: DeviceKey): Awaitable<StoredRecord[]>;
  /**
   * At most `limit` records, oldest first: those after the cursor `after` (the next page), or
   * received after `sinceMs`, or without either the latest ones.
   */
  query(
    kind: TelemetryKind,
    device: DeviceKey,
    options: { sinceMs?: number; after?: RecordCursor; limit: number },
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

/**
 * Releases, rollouts, jobs and `desired` (cloud/fleet/releases/store.ts on SQLite,
 * store/postgres/releases.ts on PostgreSQL). A stage's issue and a rollout's end are each one
 * transaction guarded on the rollout's state, so two processes (a deposed leader that has not
 * noticed yet, an operator's cancel on another process) can never issue a stage twice or end a
 * rollout twice: the second caller gets null and writes nothing.
 */
export interface ReleaseStoreApi {
  /** Inserts a release unless one with the same id exists; whether it was new. */
  insertRelease(
    manifest: ReleaseManifest,
    signature: string,
    verified: boolean,
    createdMs: number,
  ): Awaitable<{ release: StoredRelease; created: boolean }>;
  getRelease(id: string): Awaitable<StoredRelease | null>;
  /** Releases whose id or version is `ref`, oldest first. */
  findReleases(ref: string): Awaitable<StoredRelease[]>;
  listReleases(): Awaitable<StoredRelease[]>;
  /** The most recently uploaded release of a kind. */
  latestRelease(kind: ReleaseKind): Awaitable<StoredRelease | null>;
  insertRollout(r: RolloutRecord): Awaitable<void>;
  getRollout(id: string): Awaitable<RolloutRecord | null>;
  listRollouts(filter?: {
    fleet?: string;
    state?: RolloutState;
    kind?: ReleaseKind;
  }): Awaitable<RolloutRecord[]>;
  /** One transaction; null when the rollout is not running or already at `stage` or later. */
  issueStage(
    r: RolloutRecord,
    stage: number,
    devices: readonly string[],
    release: StoredRelease,
    nowMs: number,
    newJobId: () => string,
  ): Awaitable<IssuedJob[] | null>;
  /** Running → completed; false when it was not running. */
  completeRollout(id: string, nowMs: number): Awaitable<boolean>;
  /** One transaction; null when the rollout was not running. */
  endRollout(
    id: string,
    state: 'cancelled' | 'aborted',
    reason: string,
    nowMs: number,
  ): Awaitable<EndedRollout | null>;
  /**
   * A job's state from a device's update; false (nothing written) when the job is finished and
   * the update is not (a late update, reordered), or there is no such job.
   */
  updateJob(
    jobId: string,
    change: {
      state: CloudJobState;
      progress?: { done: number; total: number } | null;
      reason?: string | null;
    },
    nowMs: number,
  ): Awaitable<boolean>;
  getJob(jobId: string): Awaitable<JobRecord | null>;
  /** A rollout's jobs by stage, then device. */
  jobsOf(rolloutId: string): Awaitable<JobRecord[]>;
  /** Every job of a fleet (or of all fleets), oldest first. */
  jobsOfFleet(fleet?: string): Awaitable<JobRecord[]>;
  jobCounts(rolloutId: string): Awaitable<JobCounts>;
  /** Whether the device holds a job for this release that the cloud has not cancelled. */
  deviceHasJobFor(fleet: string, device: string, release: string): Awaitable<boolean>;
  allDesired(): Awaitable<{ fleet: string; device: string; doc: DesiredDoc; updatedMs: number }[]>;
  close(): Awaitable<void>;
}

/**
 * Release payloads, served chunk by chunk on `stream/{sid}/data`: files in the data directory
 * (releases/payloads.ts) or rows in PostgreSQL (store/postgres/payloads.ts).
 */
export interface PayloadStoreApi {
  /** Writes a verified payload cut in `chunkBytes` chunks (and, on disk, its unpacked files). */
  write(
    sha256: string,
    payload: Uint8Array,
    files: Readonly<Record<string, Uint8Array>>,
    chunkBytes: number,
  ): Awaitable<void>;
  /** The chunk frame of chunk `index`, or undefined when the payload is missing. */
  frame(sha256: string, index: number, chunkBytes: number): Awaitable<Uint8Array | undefined>;
}

/**
 * The hunger loop's reads of hunger telemetry across devices (cloud/fleet/loop/hunger-query.ts on
 * SQLite, store/postgres/hunger-query.ts). Windows are over received time, (afterMs, untilMs].
 */
export interface HungerQueryApi {
  /** Per fleet and layer: hungry records; with `only`, that one group (an empty list when it has none). */
  groups(
    afterMs: number,
    untilMs: number,
    gap: number,
    only?: { readonly fleet: string; readonly layer: number },
  ): Awaitable<GroupCount[]>;
  /** Per fleet: devices with any hunger telemetry. */
  fleetDevices(afterMs: number, untilMs: number): Awaitable<Map<string, number>>;
  /** One group's hungry records, newest first, at most `limit`, in a total order (same rows, same job). */
  hungryRows(
    fleet: string,
    layer: number,
    afterMs: number,
    untilMs: number,
    gap: number,
    limit: number,
  ): Awaitable<HungryRow[]>;
  close(): Awaitable<void>;
}

/** The loop's memory: every finished cycle (DATA/loop/history.jsonl, or the loop_cycles table). */
export interface LoopHistoryApi {
  /** Every finished cycle, oldest first. */
  read(): Awaitable<CycleRecord[]>;
  /** Records a finished cycle; a cycle id already recorded is left as it is (two leaders finishing one cycle). */
  append(record: CycleRecord): Awaitable<void>;
}

/** The library versions the loop made (DATA/library/v{N} and current, or the loop_libraries table). */
export interface LibraryVersionsApi {
  /** The newest version the loop installed (the one discovery grows), or null before the first. */
  current(): Awaitable<ActivationLibrary | null>;
  /** Every version, oldest first; `current` marks the one in use, `where` names its directory or row. */
  versions(): Awaitable<{ version: number; current: boolean; where: string }[]>;
  /**
   * Installs `lib` as version lib.version and makes it current; `where` names it for the cycle
   * record (a directory relative to the data directory, or the table row). Installing a version
   * again (a cycle finished twice) leaves one copy of it.
   */
  install(lib: ActivationLibrary): Awaitable<{ version: number; where: string }>;
}

/** What the hunger loop keeps, on one backend. */
export interface LoopStores {
  readonly hunger: HungerQueryApi;
  readonly history: LoopHistoryApi;
  readonly libraries: LibraryVersionsApi;
}
