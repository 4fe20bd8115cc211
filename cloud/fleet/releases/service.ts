/**
 * The release service (DESIGN "Releases and sync (MQTT)"): stores checked, signed releases;
 * runs staged rollouts (rollout-plan.ts decides, rollouts.ts acts: jobs on `jobs/notify`,
 * targets on `desired`, cancel and `cmd/rollback` on abort); serves chunks on
 * `stream/{sid}/data`; records job updates; and answers the API's listings and status.
 */
import type { KeyInput } from '../../../shared/release/keys.js';
import { ID_PATTERN, type ParsedTopic } from '../../../shared/types/topics.js';
import { FleetEvents } from '../events.js';
import type { DeviceRegistryApi, PayloadStoreApi, ReleaseStoreApi } from '../store/types.js';
import { ChunkRateLimiter, type ChunkRateOptions } from './chunk-rate.js';
import { ReleaseServiceError } from './errors.js';
import { applyJobUpdate, isTerminalJob } from './job-update.js';
import { PayloadStore } from './payloads.js';
import { PUBLISHER_DEFAULTS, ReleasePublisher } from './publisher.js';
import { checkFailureRate, checkStages, ROLLOUT_DEFAULTS } from './rollout-plan.js';
import { RolloutRunner } from './rollouts.js';
import { ReleaseStore, releaseRecord } from './store.js';
import { answerStreamGet } from './stream-get.js';
import type {
  DeviceStatus,
  JobRecord,
  ReleaseRecord,
  RolloutRecord,
  RolloutSummary,
  StoredRelease,
} from './types.js';
import { checkReleaseFile } from './upload.js';

export interface ReleaseServiceOptions {
  /** Directory for releases.db and releases/ (payloads), unless `store` and `payloads` are given. */
  readonly dataDir: string;
  /** Where releases, rollouts and jobs are kept (closed with the service). @defaultValue `{dataDir}/releases.db` */
  readonly store?: ReleaseStoreApi;
  /** Where payloads are kept. @defaultValue `{dataDir}/releases/` */
  readonly payloads?: PayloadStoreApi;
  /**
   * Whether this process plans and issues rollout stages (the shared cloud's leader); job
   * updates, chunk requests and the API are answered either way. @defaultValue always
   */
  readonly leads?: () => boolean;
  /** Subscribe to job updates and chunk requests in this MQTT 5 shared group (publisher.ts). */
  readonly shareGroup?: string;
  /** With `shareGroup`: the broker keeps this process's session this long after it goes, in s. */
  readonly sessionExpiryS?: number;
  /** Broker URL and the operator account (broker/operator.ts). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly registry: DeviceRegistryApi;
  /** Where job and rollout changes are announced. @defaultValue a private bus */
  readonly events?: Pick<FleetEvents, 'publish'>;
  /** Public keys a release must be signed by; none = signatures are not checked at upload. */
  readonly trustedKeys?: readonly KeyInput[];
  /** How long a stage waits for a device that is offline or lost. @defaultValue 600000 */
  readonly stageTimeoutMs?: number;
  /** How often running rollouts are re-checked (for that timeout), in ms. @defaultValue 10000 */
  readonly checkIntervalMs?: number;
  /** MQTT client id. @defaultValue 'lk-cloud-releases' */
  readonly clientId?: string;
  /** @defaultValue true */
  readonly persistentSession?: boolean;
  /** One line per dropped message or failed publish. @defaultValue stderr */
  readonly log?: (line: string) => void;
  /** Clock, ms since the epoch. @defaultValue Date.now */
  readonly now?: () => number;
  /** Per-device bound on chunk bytes answered (chunk-rate.ts). @defaultValue CHUNK_RATE_DEFAULTS */
  readonly chunkRate?: ChunkRateOptions;
}

export const RELEASE_SERVICE_DEFAULTS = Object.freeze({
  stageTimeoutMs: ROLLOUT_DEFAULTS.stageTimeoutMs,
  checkIntervalMs: 10_000,
});

export interface StartRolloutOptions {
  /** Release id (sha256) or version. */
  readonly release: string;
  readonly fleet: string;
  /** @defaultValue [10, 50, 100] */
  readonly stages?: readonly number[];
  /** @defaultValue 0.2 */
  readonly abortFailureRate?: number;
  /** Let devices install this release even when they have run a newer one. @defaultValue false */
  readonly allowDowngrade?: boolean;
}

/** How long finished jobs are gathered before their rollout is evaluated, ms. */
const EVALUATE_DELAY_MS = 50;

type Settings = Required<
  Omit<
    ReleaseServiceOptions,
    'events' | 'trustedKeys' | 'chunkRate' | 'store' | 'payloads' | 'leads' | 'shareGroup' | 'sessionExpiryS'
  >
> & { trustedKeys: readonly KeyInput[] };

export class ReleaseService {
  readonly store: ReleaseStoreApi;
  readonly payloads: PayloadStoreApi;
  readonly events: Pick<FleetEvents, 'publish'>;
  readonly #o: Settings;
  #publisher: ReleasePublisher | null = null;
  readonly #runner: RolloutRunner;
  #timer: NodeJS.Timeout | null = null;
  /** Chunk answers per device are rate-bounded (one device must not flood the broker). */
  readonly chunkRate: ChunkRateLimiter;

  private constructor(options: ReleaseServiceOptions) {
    this.#o = {
      ...RELEASE_SERVICE_DEFAULTS,
      clientId: PUBLISHER_DEFAULTS.clientId,
      persistentSession: PUBLISHER_DEFAULTS.persistentSession,
      log: (line) => process.stderr.write(`releases: ${line}\n`),
      now: Date.now,
      trustedKeys: [],
      ...options,
    };
    this.events = options.events ?? new FleetEvents(this.#o.log);
    this.chunkRate = new ChunkRateLimiter({ now: this.#o.now, ...options.chunkRate });
    this.store = options.store ?? ReleaseStore.open(options.dataDir);
    this.payloads = options.payloads ?? new PayloadStore(options.dataDir);
    this.#runner = new RolloutRunner({
      ...(options.leads ? { leads: options.leads } : {}),
      store: this.store,
      registry: options.registry,
      events: this.events,
      publisher: () => this.#publisher,
      stageTimeoutMs: this.#o.stageTimeoutMs,
      now: this.#o.now,
      log: this.#o.log,
    });
  }

  /** Opens the store, connects the publisher, republishes retained state, starts the timer. */
  static async start(options: ReleaseServiceOptions): Promise<ReleaseService> {
    const service = new ReleaseService(options);
    const o = service.#o;
    try {
      service.#publisher = await ReleasePublisher.start({
        url: o.url,
        username: o.username,
        password: o.password,
        clientId: o.clientId,
        persistentSession: o.persistentSession,
        log: o.log,
        ...(options.shareGroup ? { shareGroup: options.shareGroup } : {}),
        ...(options.sessionExpiryS !== undefined ? { sessionExpiryS: options.sessionExpiryS } : {}),
        onCreated: (publisher) => {
          service.#publisher = publisher;
        },
        onJobUpdate: (topic, payload) => service.#onJobUpdate(topic, payload),
        // not awaited: chunk answers must not wait for one another
        onStreamGet: (topic, payload) => void service.#onStreamGet(topic, payload),
      });
    } catch (err) {
      await service.store.close();
      throw err;
    }
    if (service.#runner.leads) await service.#runner.republish();
    service.#timer = setInterval(() => void service.tick(), o.checkIntervalMs);
    service.#timer.unref();
    await service.tick();
    return service;
  }

  /**
   * This process has just become the leader: republish every device's `desired` and latest job
   * (a job committed by a leader that died before publishing it reaches its device now; one it
   * did publish arrives again with the same job id, which the device ignores), then carry on
   * with every running rollout where its stored stage and jobs say it stopped. The count of
   * jobs republished.
   */
  async takeOver(): Promise<number> {
    const n = await this.#runner.republish();
    await this.tick();
    return n;
  }

  /** A rollout to evaluate soon (another process recorded a job that finished), when leading. */
  evaluateSoon(rolloutId: string): void {
    if (this.#runner.leads) this.#evaluateSoon(rolloutId);
  }

  /** Checks and stores a release file; `created` is false when the same payload was stored before. */
  async addRelease(bytes: Uint8Array): Promise<{ release: ReleaseRecord; created: boolean }> {
    const checked = checkReleaseFile(bytes, this.#o.trustedKeys);
    const sha = checked.manifest.sha256;
    const existing = await this.store.getRelease(sha);
    if (existing) return { release: releaseRecord(existing), created: false };
    // the payload first: a stored release always has its payload
    await this.payloads.write(sha, checked.payload, checked.files, checked.manifest.chunkBytes);
    const { release, created } = await this.store.insertRelease(
      checked.manifest,
      checked.signature,
      checked.signatureVerified,
      this.#o.now(),
    );
    return { release: releaseRecord(release), created };
  }

  async listReleases(): Promise<ReleaseRecord[]> {
    return (await this.store.listReleases()).map(releaseRecord);
  }

  /** A release by id or version; refuses an unknown or ambiguous reference. */
  async getRelease(ref: string): Promise<StoredRelease> {
    const found = await this.store.findReleases(ref);
    if (found.length === 0) throw new ReleaseServiceError('not-found', `no release '${ref}'`);
    if (found.length > 1) {
      throw new ReleaseServiceError(
        'conflict',
        `version '${ref}' names ${found.length} releases (${found.map((r) => `${r.kind} ${r.id.slice(0, 12)}`).join(', ')}); give the sha256`,
      );
    }
    return found[0]!;
  }

  /** Starts a rollout (cancelling a running one of the same fleet and kind) and issues stage 0. */
  async startRollout(options: StartRolloutOptions): Promise<RolloutSummary> {
    const { fleet } = options;
    if (!ID_PATTERN.test(fleet))
      throw new ReleaseServiceError('invalid', `fleet '${fleet}' must match ${ID_PATTERN.source}`);
    const stages = checkStages(options.stages ?? ROLLOUT_DEFAULTS.stages);
    const abortFailureRate = checkFailureRate(options.abortFailureRate ?? ROLLOUT_DEFAULTS.abortFailureRate);
    const release = await this.getRelease(options.release);
    return this.#summary(
      await this.#runner.create(release, fleet, stages, abortFailureRate, options.allowDowngrade === true),
    );
  }

  /** Operator cancel: in-flight jobs are cancelled; devices that installed it keep it. */
  cancelRollout(id: string, reason = 'cancelled by the operator'): Promise<RolloutSummary> {
    return this.#end(id, 'cancelled', reason);
  }

  /** Operator abort: as cancel, and devices that installed the release are told to roll back. */
  abortRollout(id: string, reason = 'aborted by the operator'): Promise<RolloutSummary> {
    return this.#end(id, 'aborted', reason);
  }

  async #end(id: string, state: 'cancelled' | 'aborted', reason: string): Promise<RolloutSummary> {
    if (!(await this.#runner.end(await this.#running(id), state, reason))) await this.#running(id);
    return this.#summary((await this.store.getRollout(id))!);
  }

  async listRollouts(filter: { fleet?: string } = {}): Promise<RolloutSummary[]> {
    return Promise.all((await this.store.listRollouts(filter)).map((r) => this.#summary(r)));
  }

  async getRollout(id: string): Promise<{ rollout: RolloutSummary; jobs: JobRecord[] }> {
    const r = await this.store.getRollout(id);
    if (!r) throw new ReleaseServiceError('not-found', `no rollout '${id}'`);
    return { rollout: await this.#summary(r), jobs: await this.store.jobsOf(id) };
  }

  /** Per device: connection state, installed versions, and the latest job of each release kind. */
  async status(fleet?: string): Promise<DeviceStatus[]> {
    const versions = new Map((await this.store.listReleases()).map((r) => [r.id, r.version]));
    const latest = new Map<string, Map<string, JobRecord>>();
    for (const job of await this.store.jobsOfFleet(fleet)) {
      const key = `${job.fleet}/${job.device}`;
      const perKind = latest.get(key) ?? new Map<string, JobRecord>();
      perKind.set(job.kind, job);
      latest.set(key, perKind);
    }
    return (await this.#o.registry.listDevices())
      .filter((d) => fleet === undefined || d.fleet === fleet)
      .map((d) => ({
        fleet: d.fleet,
        id: d.id,
        state: d.state,
        online: d.online,
        profile: d.profile,
        libraryVersion: d.libraryVersion,
        modelVersion: d.modelVersion,
        jobs: [...(latest.get(`${d.fleet}/${d.id}`)?.values() ?? [])].map((j) => ({
          ...j,
          version: versions.get(j.release) ?? '',
        })),
      }));
  }

  /** Re-checks every running rollout (stage timeouts) when leading; runs on a timer, callable from tests. */
  tick(): Promise<void> {
    return this.#runner.tick().catch((err: Error) => this.#o.log(`rollout check failed: ${err.message}`));
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#evaluationTimer) clearTimeout(this.#evaluationTimer);
    this.#evaluationTimer = null;
    await this.#publisher?.close();
    this.#publisher = null;
    await this.store.close();
  }

  async #running(id: string): Promise<RolloutRecord> {
    const r = await this.store.getRollout(id);
    if (!r) throw new ReleaseServiceError('not-found', `no rollout '${id}'`);
    if (r.state !== 'running')
      throw new ReleaseServiceError('conflict', `rollout ${id} is already ${r.state}`);
    return r;
  }

  async #summary(r: RolloutRecord): Promise<RolloutSummary> {
    return { ...r, counts: await this.store.jobCounts(r.id) };
  }

  async #onJobUpdate(topic: ParsedTopic, payload: Buffer): Promise<void> {
    const outcome = await applyJobUpdate(this.store, topic, payload, this.#o.now());
    if (outcome.result !== 'stored') {
      this.#o.log(`${outcome.result} job update on ${topic.fleet}/${topic.device}: ${outcome.reason}`);
      return;
    }
    const { after, before } = outcome;
    this.events.publish({
      type: 'job',
      rolloutId: after.rolloutId,
      jobId: after.jobId,
      fleet: after.fleet,
      device: after.device,
      state: outcome.update.state,
    });
    if (isTerminalJob(after) && before.state !== after.state) this.evaluateSoon(after.rolloutId);
  }

  readonly #dueEvaluations = new Set<string>();
  #evaluationTimer: NodeJS.Timeout | null = null;

  /**
   * Evaluates a rollout once per burst of finished jobs: each evaluation reads the rollout's
   * jobs and the fleet's devices, so one per update would be quadratic in the fleet size.
   */
  #evaluateSoon(rolloutId: string): void {
    this.#dueEvaluations.add(rolloutId);
    this.#evaluationTimer ??= setTimeout(() => {
      this.#evaluationTimer = null;
      const due = [...this.#dueEvaluations];
      this.#dueEvaluations.clear();
      for (const id of due) {
        this.#runner
          .evaluate(id)
          .catch((err: Error) => this.#o.log(`rollout ${id}: check failed: ${err.message}`));
      }
    }, EVALUATE_DELAY_MS);
  }

  async #onStreamGet(topic: ParsedTopic, payload: Buffer): Promise<void> {
    let reply: Awaited<ReturnType<typeof answerStreamGet>>;
    try {
      reply = await answerStreamGet(this, topic, payload);
    } catch (err) {
      this.#o.log(`chunk request on ${topic.fleet}/${topic.device} not answered: ${(err as Error).message}`);
      return;
    }
    const where = `${topic.fleet}/${topic.device} stream ${topic.rest.slice(0, 12)}`;
    if (reply.kind === 'dropped') {
      this.#o.log(`dropped chunk request from ${where}: ${reply.why}`);
      return;
    }
    const dev = { fleet: topic.fleet, device: topic.device };
    if (reply.kind === 'error') {
      this.#o.log(`refused chunk request from ${where}: ${reply.why}`);
      this.#publisher?.publishStreamData(dev, topic.rest, JSON.stringify(reply.error));
      return;
    }
    if (!this.chunkRate.take(`${topic.fleet}/${topic.device}`, reply.frame.byteLength)) {
      // one line per 100 refusals: the flood itself must not flood the log
      if (this.chunkRate.refused % 100 === 1) {
        this.#o.log(`chunk requests from ${where} over the device's rate bound; not answered`);
      }
      return;
    }
    this.#publisher?.publishStreamData(dev, topic.rest, reply.frame);
  }
}
