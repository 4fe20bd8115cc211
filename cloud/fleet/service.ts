/**
 * The cloud service (`liquidkan cloud`, DESIGN "Releases and sync (MQTT)"): the embedded broker
 * (or an external one), the device registry, the telemetry store and its subscriber, the release
 * service, and the HTTP server with the fleet API and the dashboard, started in that order and
 * closed in reverse. Policies (closing the loop, cloud/fleet/loop) plug in through `policies`.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import { type KeyInput, readPublicKey } from '../../shared/release/keys.js';
import { createDashboard, type DashboardOptions } from '../dashboard/index.js';
import type { OperatorAccount } from './broker/auth.js';
import { startFleetBroker } from './broker/broker.js';
import { loadOrCreateOperator } from './broker/operator.js';
import { DeviceRegistry } from './devices.js';
import { FleetEvents } from './events.js';
import { createApi } from './http/api.js';
import { loadOrCreateToken, OperatorSessions, VIEWER_TOKEN_FILE } from './http/auth.js';
import { startHttpServer } from './http/server.js';
import type { DashboardDeps } from './http/types.js';
import { PayloadStore } from './releases/payloads.js';
import { ReleaseService } from './releases/service.js';
import { ReleaseStore } from './releases/store.js';
import { startTelemetryIngest } from './telemetry/ingest.js';
import { TelemetryStore } from './telemetry/store.js';

/**
 * A policy runs inside the cloud with the whole handle (events to watch, registry and store to
 * read, releases to publish) and is closed first when the cloud stops. The closing-the-loop
 * policy (hunger → discovery → new library → release) is one; pass none to switch it off.
 */
export type CloudPolicy = (cloud: CloudHandle) => { close(): void | Promise<void> };

export interface CloudOptions {
  /** Holds devices.db, operator.json, operator.token, telemetry.db, releases.db, releases/. */
  readonly dataDir: string;
  /** 'embedded' (aedes, in this process) or an external broker's URL, e.g. mqtt://10.0.0.2:1883. @defaultValue 'embedded' */
  readonly broker?: string;
  /** Port of the embedded broker; 0 lets the OS choose. @defaultValue 1883 */
  readonly mqttPort?: number;
  /** Port of the HTTP server; 0 lets the OS choose. @defaultValue 8080 */
  readonly httpPort?: number;
  /**
   * Interface the embedded broker and the HTTP server listen on: loopback unless a deployment
   * says otherwise (devices on other machines need e.g. '0.0.0.0'). @defaultValue '127.0.0.1'
   */
  readonly host?: string;
  /** Public key files (PEM); when given, an upload whose signature does not verify is refused. */
  readonly trustedKeys?: readonly string[];
  /** Started after everything else, closed before it (see CloudPolicy). @defaultValue [] */
  readonly policies?: readonly CloudPolicy[];
  /** How long a rollout stage waits for an offline device, in ms. @defaultValue 600000 */
  readonly stageTimeoutMs?: number;
  /** How often running rollouts are re-checked, in ms. @defaultValue 10000 */
  readonly rolloutCheckMs?: number;
  /** Telemetry kept, in days. @defaultValue 30 */
  readonly retentionDays?: number;
  /** The dashboard's live feed and preview settings (its log goes to `log`). */
  readonly dashboard?: Omit<DashboardOptions, 'log'>;
  /** One line per event worth a person's attention. @defaultValue stderr, prefixed 'cloud: ' */
  readonly log?: (line: string) => void;
}

export const CLOUD_DEFAULTS = Object.freeze({
  broker: 'embedded',
  mqttPort: 1883,
  httpPort: 8080,
  host: '127.0.0.1',
});

export interface CloudHandle {
  readonly dataDir: string;
  /** e.g. http://127.0.0.1:8080 */
  readonly httpUrl: string;
  /** The broker devices connect to, e.g. mqtt://127.0.0.1:1883. */
  readonly brokerUrl: string;
  /** The operator MQTT account (for policies that need their own client). */
  readonly operator: OperatorAccount;
  readonly events: FleetEvents;
  readonly registry: DeviceRegistry;
  readonly store: TelemetryStore;
  readonly releases: ReleaseService;
  /** `{dataDir}/operator.token`: what `liquidkan release publish --token` reads. */
  readonly tokenFile: string;
  /** `{dataDir}/viewer.token`: a read-only login for the dashboard and the API's reads. */
  readonly viewerTokenFile: string;
  /**
   * The newest library the cloud knows: DATA/library/current (written by the loop) or the last
   * library release's unpacked files, whichever library.json is newer; null before either.
   */
  libraryDir(): string | null;
  /** The last model release's unpacked bundle (manifest.json + ONNX), or null. */
  modelBundleDir(): string | null;
  readonly log: (line: string) => void;
  /** Stops policies, HTTP, releases, ingest and broker, and closes the databases. */
  close(): Promise<void>;
}

function checkBrokerUrl(broker: string): string {
  let url: URL;
  try {
    url = new URL(broker);
  } catch {
    throw new InputError(`broker '${broker}' must be 'embedded' or a URL like mqtt://HOST:PORT`);
  }
  if (!['mqtt:', 'mqtts:', 'tcp:'].includes(url.protocol)) {
    throw new InputError(`broker '${broker}' must be 'embedded' or an mqtt:// (or mqtts://) URL`);
  }
  return broker;
}

function newest(dirs: readonly string[], file: string): string | null {
  let best: { dir: string; ms: number } | null = null;
  for (const dir of dirs) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const ms = statSync(path).mtimeMs;
    if (!best || ms > best.ms) best = { dir, ms };
  }
  return best?.dir ?? null;
}

export async function startCloud(options: CloudOptions): Promise<CloudHandle> {
  const o = { ...CLOUD_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`cloud: ${line}\n`));
  const keys: KeyInput[] = (o.trustedKeys ?? []).map((file) => readPublicKey(file));
  const external = o.broker === 'embedded' ? null : checkBrokerUrl(o.broker);
  const closers: (() => void | Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        log(`while closing: ${(err as Error).message}`);
      }
    }
  };

  try {
    const registry = DeviceRegistry.open(o.dataDir);
    closers.push(() => registry.close());
    const store = TelemetryStore.open({
      dataDir: o.dataDir,
      ...(o.retentionDays !== undefined ? { retentionDays: o.retentionDays } : {}),
    });
    closers.push(() => store.close());
    const events = new FleetEvents(log);

    let brokerUrl: string;
    let operator: OperatorAccount;
    if (external) {
      brokerUrl = external;
      operator = loadOrCreateOperator(o.dataDir);
    } else {
      const broker = await startFleetBroker({
        dataDir: o.dataDir,
        host: o.host,
        port: o.mqttPort,
        registry,
        log: (line) => log(`broker: ${line}`),
      });
      closers.push(() => broker.close());
      brokerUrl = broker.url;
      operator = broker.operator;
    }

    const ingest = await startTelemetryIngest({
      url: brokerUrl,
      username: operator.username,
      password: operator.password,
      store,
      registry,
      events,
      log: (line) => log(`telemetry: ${line}`),
    });
    closers.push(() => ingest.close());

    // the embedded stores, kept here too: the dashboard reads the latest release's files at once
    const releaseStore = ReleaseStore.open(o.dataDir);
    const payloads = new PayloadStore(o.dataDir);
    const releases = await ReleaseService.start({
      dataDir: o.dataDir,
      store: releaseStore,
      payloads,
      url: brokerUrl,
      username: operator.username,
      password: operator.password,
      registry,
      events,
      trustedKeys: keys,
      ...(o.stageTimeoutMs !== undefined ? { stageTimeoutMs: o.stageTimeoutMs } : {}),
      ...(o.rolloutCheckMs !== undefined ? { checkIntervalMs: o.rolloutCheckMs } : {}),
      log: (line) => log(`releases: ${line}`),
    });
    closers.push(() => releases.close());

    const { token, path: tokenPath } = loadOrCreateToken(o.dataDir);
    const viewer = loadOrCreateToken(o.dataDir, VIEWER_TOKEN_FILE);
    const auth = new OperatorSessions(token, { viewerToken: viewer.token });
    const latestUnpacked = (kind: 'library' | 'model') => {
      const r = releaseStore.latestRelease(kind);
      return r ? [payloads.unpackedDir(r.id)] : [];
    };
    const libraryDir = () =>
      newest([join(o.dataDir, 'library', 'current'), ...latestUnpacked('library')], 'library.json');
    const modelBundleDir = () => newest(latestUnpacked('model'), 'manifest.json');
    const deps: DashboardDeps = {
      dataDir: o.dataDir,
      registry,
      store,
      events,
      auth,
      libraryDir,
      modelBundleDir,
    };
    const dashboard = createDashboard(deps, { ...o.dashboard, log: (line) => log(`dashboard: ${line}`) });
    closers.push(() => dashboard.close());
    const http = await startHttpServer({
      host: o.host,
      port: o.httpPort,
      routes: [createApi({ registry, store, releases, auth, brokerUrl }), dashboard],
      log: (line) => log(`http: ${line}`),
    });
    closers.push(() => http.close());

    let closing: Promise<void> | null = null;
    const handle: CloudHandle = {
      dataDir: o.dataDir,
      httpUrl: http.url,
      brokerUrl,
      operator,
      events,
      registry,
      store,
      releases,
      tokenFile: tokenPath,
      viewerTokenFile: viewer.path,
      libraryDir,
      modelBundleDir,
      log,
      close: () => (closing ??= closeAll()),
    };
    for (const policy of o.policies ?? []) {
      const running = policy(handle);
      closers.push(() => running.close());
    }
    return handle;
  } catch (err) {
    await closeAll();
    throw err;
  }
}
