/**
 * The two store backends the shared suites run against: SQLite files in a temporary directory
 * and PostgreSQL in a throwaway cluster (one per test file, a fresh database per `open`).
 * PostgreSQL skips with a named reason where its binaries are absent (TOOLS.postgres(), which
 * fails instead under LIQUIDKAN_REQUIRE_ALL_TOOLS=1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceRegistry } from '../../../../cloud/fleet/devices.js';
import { FileLoopHistory } from '../../../../cloud/fleet/loop/history.js';
import { HungerQuery } from '../../../../cloud/fleet/loop/hunger-query.js';
import { FileLibraryVersions } from '../../../../cloud/fleet/loop/library-store.js';
import { PayloadStore } from '../../../../cloud/fleet/releases/payloads.js';
import { ReleaseStore } from '../../../../cloud/fleet/releases/store.js';
import { type RunningCluster, startCluster } from '../../../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore } from '../../../../cloud/fleet/store/postgres/index.js';
import { pgLoopStores } from '../../../../cloud/fleet/store/postgres/loop.js';
import type {
  DeviceRegistryApi,
  LoopStores,
  PayloadStoreApi,
  ReleaseStoreApi,
  TelemetryStoreApi,
} from '../../../../cloud/fleet/store/types.js';
import { TelemetryStore } from '../../../../cloud/fleet/telemetry/store.js';
import { TOOLS } from '../../../helpers/system-tools.js';

export interface OpenedStores {
  readonly registry: DeviceRegistryApi;
  readonly telemetry: TelemetryStoreApi;
  readonly releases: ReleaseStoreApi;
  readonly payloads: PayloadStoreApi;
  /** The hunger loop's stores, reading the same telemetry. */
  readonly loop: LoopStores;
  close(): Promise<void>;
}

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here, or null. */
  readonly skip: string | null;
  open(options?: { now?: () => number; retentionDays?: number }): Promise<OpenedStores>;
  /** Stops what the backend started (the cluster). */
  stop(): Promise<void>;
}

export function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    skip: null,
    async open(options = {}) {
      const dataDir = mkdtempSync(join(tmpdir(), 'lk-store-'));
      dirs.push(dataDir);
      const registry = DeviceRegistry.open(dataDir, options.now ? { now: options.now } : {});
      const telemetry = TelemetryStore.open({ dataDir, retentionIntervalMs: 0, ...options });
      const releases = ReleaseStore.open(dataDir);
      const hunger = new HungerQuery(telemetry);
      const loop: LoopStores = {
        hunger,
        history: new FileLoopHistory(join(dataDir, 'loop', 'history.jsonl'), () => {}),
        libraries: new FileLibraryVersions(dataDir),
      };
      return {
        registry,
        telemetry,
        releases,
        payloads: new PayloadStore(dataDir),
        loop,
        close: async () => {
          hunger.close();
          registry.close();
          telemetry.close();
          releases.close();
        },
      };
    },
    async stop() {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  let cluster: Promise<RunningCluster> | null = null;
  let n = 0;
  return {
    name: 'postgres',
    skip: TOOLS.postgres(),
    async open(options = {}) {
      cluster ??= startCluster({ fast: true });
      const url = await (await cluster).createDatabase(`store_${process.pid}_${n++}`);
      const store = await openPostgresStore({ url, poolSize: 4, ...options });
      return {
        registry: store.registry,
        telemetry: store.telemetry,
        releases: store.releases,
        payloads: store.payloads,
        loop: pgLoopStores(store.pool, options.now),
        close: () => store.close(),
      };
    },
    async stop() {
      if (cluster) await (await cluster).stop();
    },
  };
}

export const BACKENDS: (() => Backend)[] = [sqliteBackend, postgresBackend];
