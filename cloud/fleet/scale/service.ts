/**
 * The cloud as one of several stateless processes (`liquidkan cloud --store postgres://…
 * --broker mqtt://…`, DESIGN "Releases and sync (MQTT)", scale-out): the registry and telemetry
 * in PostgreSQL, ingest through MQTT 5 shared subscriptions on an external broker (each batch
 * stored once, before its PUBACK, whichever process gets it), the live feed across processes by
 * LISTEN/NOTIFY, the HTTP API and dashboard served by every process from the shared store, and
 * one leader (advisory lock) for the work that must happen once.
 *
 * What the leader runs: telemetry retention, the rollouts (planning and issuing stages,
 * rollouts.ts says how a job reaches each device once across leaders) and, with `loop`, the
 * hunger loop, whose discovery it queues for `liquidkan worker` (queued-discovery.ts) and whose
 * new libraries it releases through the same release service. Every process answers
 * job updates and chunk requests (the release publisher in the same shared group; payloads are
 * chunks in PostgreSQL, store/postgres/payloads.ts) and the release API; a rollout started or
 * a job finished on a follower reaches the leader as a live-feed event (NOTIFY), and the
 * leader's periodic check catches anything missed. A new leader republishes what the broker
 * retains and carries each running rollout on from its stored stage and jobs.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../../shared/errors.js';
import { type KeyInput, readPublicKey } from '../../../shared/release/keys.js';
import { createDashboard, type DashboardOptions } from '../../dashboard/index.js';
import type { OperatorAccount } from '../broker/auth.js';
import { loadOrCreateOperator } from '../broker/operator.js';
import { FleetEvents } from '../events.js';
import { createApi } from '../http/api.js';
import { loadOrCreateToken, OperatorSessions, VIEWER_TOKEN_FILE } from '../http/auth.js';
import { startHttpServer } from '../http/server.js';
import { releasePublisher } from '../loop/cloud-policy.js';
import { type HungerPolicy, type HungerPolicyOptions, startHungerPolicy } from '../loop/index.js';
import { isTerminal } from '../releases/rollout-plan.js';
import { ReleaseService } from '../releases/service.js';
import { bridgeEvents } from '../store/postgres/events.js';
import { openPostgresStore, type PostgresStore } from '../store/postgres/index.js';
import { competeForLeadership, type Leadership } from '../store/postgres/leader.js';
import { pgLoopStores } from '../store/postgres/loop.js';
import { startTelemetryIngest, type TelemetryIngest } from '../telemetry/ingest.js';
import { LatestReleases } from './latest-releases.js';
import { queuedDiscovery } from './queued-discovery.js';

export interface SharedCloudOptions {
  /** Holds operator.json (the broker account) and operator.token; the same files on every process. */
  readonly dataDir: string;
  /** postgres://USER:PASSWORD@HOST:PORT/DB */
  readonly store: string;
  /** The external broker every process and device uses, e.g. mqtt://10.0.0.2:1883. */
  readonly broker: string;
  /** Names this process: its ingest client ids are `lk-cloud-{instance}-{i}`, stable across restarts. @defaultValue the host name */
  readonly instance?: string;
  /** MQTT connections this process ingests on, each one member of the shared group. @defaultValue 4 */
  readonly ingestConnections?: number;
  /**
   * How long the broker keeps a stopped process's ingest sessions (and the messages in flight or
   * queued to them) for its return under the same instance name, in s; 0 ends them at once.
   * @defaultValue 300
   */
  readonly sessionExpiryS?: number;
  /** The shared-subscription group of all cloud processes. @defaultValue 'lk-cloud' */
  readonly shareGroup?: string;
  /** @defaultValue 8080 */
  readonly httpPort?: number;
  /** @defaultValue '0.0.0.0' */
  readonly host?: string;
  /** Telemetry kept, in days. @defaultValue 30 */
  readonly retentionDays?: number;
  /** How often the leader prunes telemetry, in ms. @defaultValue 3600000 */
  readonly retentionIntervalMs?: number;
  /** How often followers try to lead, in ms (see leader.ts for the takeover bound). @defaultValue 1000 */
  readonly leaderPollMs?: number;
  /** Connections in this process's database pool. @defaultValue 4 + ingestConnections */
  readonly poolSize?: number;
  /**
   * Public key files (PEM) a release must be signed by, as `liquidkan cloud --trust` gives them
   * and as one cloud takes them; none = signatures are not checked at upload.
   */
  readonly trustedKeys?: readonly string[];
  /** How long a rollout stage waits for a device that is offline or lost, in ms. @defaultValue the release service's */
  readonly stageTimeoutMs?: number;
  /** How often the leader re-checks running rollouts, in ms. @defaultValue the release service's */
  readonly rolloutCheckMs?: number;
  readonly dashboard?: Omit<DashboardOptions, 'log'>;
  /**
   * Runs the hunger loop on the leader: history and library versions in PostgreSQL, discovery
   * queued for `liquidkan worker`. @defaultValue off
   */
  readonly loop?: SharedLoopOptions;
  readonly log?: (line: string) => void;
}

/** The hunger loop of a shared cloud (loop/types.ts HungerPolicyOptions, less what the cloud gives). */
export type SharedLoopOptions = Pick<
  HungerPolicyOptions,
  'thresholds' | 'discovery' | 'seed' | 'intervalMs' | 'debounceMs' | 'signingKeyFile' | 'publish'
> & {
  /** How often a cycle waiting on its queued job looks at it, in ms. @defaultValue 1000 */
  readonly pollMs?: number;
};

export const SHARED_CLOUD_DEFAULTS = Object.freeze({
  ingestConnections: 4,
  shareGroup: 'lk-cloud',
  httpPort: 8080,
  host: '0.0.0.0',
  retentionIntervalMs: 3_600_000,
  leaderPollMs: 1000,
});

export interface SharedCloud {
  readonly instance: string;
  readonly httpUrl: string;
  readonly brokerUrl: string;
  readonly operator: OperatorAccount;
  readonly store: PostgresStore;
  readonly events: FleetEvents;
  readonly ingests: readonly TelemetryIngest[];
  readonly leadership: Leadership;
  readonly releases: ReleaseService;
  /** The hunger loop while this process leads (with `loop`), else null. */
  readonly loop: () => HungerPolicy | null;
  readonly tokenFile: string;
  /** `{dataDir}/viewer.token`: a read-only login for the dashboard and the API's reads. */
  readonly viewerTokenFile: string;
  close(): Promise<void>;
}

export async function startSharedCloud(options: SharedCloudOptions): Promise<SharedCloud> {
  const o = { ...SHARED_CLOUD_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => process.stderr.write(`cloud: ${line}\n`));
  const instance = o.instance ?? hostname();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(instance)) {
    throw new InputError(
      `instance '${instance}' must be 1–64 letters, digits, '-' or '_' (it names MQTT client ids)`,
    );
  }
  if (!(Number.isInteger(o.ingestConnections) && o.ingestConnections >= 1 && o.ingestConnections <= 64)) {
    throw new InputError(`ingest connections must be an integer from 1 to 64, got ${o.ingestConnections}`);
  }
  // read at start: a missing or unreadable key is refused now, not at the first upload
  const trustedKeys: KeyInput[] = (o.trustedKeys ?? []).map((file) => readPublicKey(file));
  const closers: (() => unknown)[] = [];
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
    const store = await openPostgresStore({
      url: o.store,
      poolSize: o.poolSize ?? 4 + o.ingestConnections,
      ...(o.retentionDays !== undefined ? { retentionDays: o.retentionDays } : {}),
    });
    closers.push(() => store.close());
    if (store.migrated.from !== store.migrated.to) {
      log(`database schema migrated from version ${store.migrated.from} to ${store.migrated.to}`);
    }
    const events = new FleetEvents(log);
    const bridge = await bridgeEvents({
      url: o.store,
      pool: store.pool,
      events,
      log: (l) => log(`events: ${l}`),
    });
    closers.push(() => bridge.close());

    const operator = loadOrCreateOperator(o.dataDir);
    const ingests: TelemetryIngest[] = [];
    closers.push(() => Promise.all(ingests.map((i) => i.close())));
    // all at once: a process restarted under its name gets back every session's queue together,
    // rather than the later connections' shares waiting while the first one drains its own
    const started = await Promise.allSettled(
      Array.from({ length: o.ingestConnections }, (_, i) =>
        startTelemetryIngest({
          url: o.broker,
          username: operator.username,
          password: operator.password,
          clientId: `lk-cloud-${instance}-${i}`,
          shareGroup: o.shareGroup,
          // one connection per process takes the retained statuses; the others' would repeat them
          retainedAtSubscribe: i === 0,
          ...(o.sessionExpiryS !== undefined ? { sessionExpiryS: o.sessionExpiryS } : {}),
          store: store.telemetry,
          registry: store.registry,
          events: bridge,
          log: (line) => log(`telemetry: ${line}`),
        }),
      ),
    );
    for (const r of started) if (r.status === 'fulfilled') ingests.push(r.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;

    // set once the release service has started; an election before that is covered by its start
    let releases: ReleaseService | null = null;
    const takeOver = (service: ReleaseService) =>
      void service.takeOver().then(
        (n) => log(`leader: rollouts taken over (${n} devices' latest jobs republished)`),
        (err: Error) => log(`leader: taking over the rollouts failed: ${err.message}`),
      );
    let loop: HungerPolicy | null = null;
    const startLoop = (lo: SharedLoopOptions) => {
      loop = startHungerPolicy({
        ...lo,
        dataDir: o.dataDir,
        events,
        // with a key to sign them, the loop's releases go through this process's release
        // service, as on one cloud; without one it installs its libraries unreleased
        ...(lo.publish || lo.signingKeyFile
          ? { publish: lo.publish ?? releasePublisher(() => releases) }
          : {}),
        stores: pgLoopStores(store.pool),
        runner: queuedDiscovery({
          pool: store.pool,
          ...(lo.pollMs !== undefined ? { pollMs: lo.pollMs } : {}),
          log: (line) => log(`loop: ${line}`),
        }),
        log: (line) => log(`loop: ${line}`),
      });
    };
    closers.push(() => loop?.close());
    let pruneTimer: NodeJS.Timeout | null = null;
    const prune = () =>
      void Promise.resolve(store.telemetry.prune()).then(
        (n) => n > 0 && log(`retention: deleted ${n} telemetry records`),
        (err: Error) => log(`retention: ${err.message}`),
      );
    const leadership = competeForLeadership({
      url: o.store,
      name: instance,
      pollMs: o.leaderPollMs,
      log: (line) => log(`leader: ${line}`),
      onElected: () => {
        if (releases) takeOver(releases);
        prune();
        pruneTimer = setInterval(prune, o.retentionIntervalMs);
        pruneTimer.unref();
        if (o.loop) startLoop(o.loop);
      },
      onDeposed: async () => {
        if (pruneTimer) clearInterval(pruneTimer);
        pruneTimer = null;
        // a cycle waiting on its queued job stops waiting; the next leader finishes it
        const stopping = loop;
        loop = null;
        await stopping?.close();
      },
    });
    closers.push(() => leadership.close());

    const service = await ReleaseService.start({
      dataDir: o.dataDir,
      store: store.releases,
      payloads: store.payloads,
      url: o.broker,
      username: operator.username,
      password: operator.password,
      registry: store.registry,
      events: bridge,
      leads: () => leadership.isLeader,
      clientId: `lk-cloud-${instance}-releases`,
      shareGroup: o.shareGroup,
      ...(o.sessionExpiryS !== undefined ? { sessionExpiryS: o.sessionExpiryS } : {}),
      trustedKeys,
      ...(o.stageTimeoutMs !== undefined ? { stageTimeoutMs: o.stageTimeoutMs } : {}),
      ...(o.rolloutCheckMs !== undefined ? { checkIntervalMs: o.rolloutCheckMs } : {}),
      log: (line) => log(`releases: ${line}`),
    });
    closers.push(() => service.close());
    releases = service;
    if (leadership.isLeader) takeOver(service);
    // a job finished or a rollout started on another process: the leader looks at it now
    const unsubscribe = events.subscribe((e) => {
      if ((e.type === 'job' && isTerminal(e.state)) || (e.type === 'rollout' && e.state === 'running'))
        service.evaluateSoon(e.rolloutId);
    });
    closers.push(unsubscribe);

    // the dashboard's gallery and model view: the newest releases of the shared store, unpacked
    const latest = new LatestReleases({
      latestRelease: (kind) => store.releases.latestRelease(kind),
      payload: (sha256) => store.payloads.payload(sha256),
      dir: join(o.dataDir, 'shared-releases'),
      log: (line) => log(`dashboard: ${line}`),
    });
    await latest.refresh();
    closers.push(
      events.subscribe((e) => {
        if (e.type === 'rollout' || e.type === 'library') void latest.refresh();
      }),
    );

    const { token, path: tokenFile } = loadOrCreateToken(o.dataDir);
    const viewer = loadOrCreateToken(o.dataDir, VIEWER_TOKEN_FILE);
    const auth = new OperatorSessions(token, { viewerToken: viewer.token });
    const dashboard = createDashboard(
      {
        dataDir: o.dataDir,
        registry: store.registry,
        store: store.telemetry,
        events,
        auth,
        libraryDir: () => latest.dir('library'),
        modelBundleDir: () => latest.dir('model'),
      },
      { ...o.dashboard, log: (line) => log(`dashboard: ${line}`) },
    );
    closers.push(() => dashboard.close());
    const http = await startHttpServer({
      host: o.host,
      port: o.httpPort,
      routes: [
        createApi({
          registry: store.registry,
          store: store.telemetry,
          releases: service,
          auth,
          brokerUrl: o.broker,
        }),
        dashboard,
      ],
      log: (line) => log(`http: ${line}`),
    });
    closers.push(() => http.close());

    let closing: Promise<void> | null = null;
    return {
      instance,
      httpUrl: http.url,
      brokerUrl: o.broker,
      operator,
      store,
      events,
      ingests,
      leadership,
      releases: service,
      loop: () => loop,
      tokenFile,
      viewerTokenFile: viewer.path,
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
