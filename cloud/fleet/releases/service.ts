/**
 * The release service (DESIGN "Releases and sync (MQTT)"): stores checked, signed releases;
 * runs staged rollouts (rollout-plan.ts decides, rollouts.ts acts: jobs on `jobs/notify`,
 * targets on `desired`, cancel and `cmd/rollback` on abort); serves chunks on
 * `stream/{sid}/data`; records job updates; and answers the API's listings and status.
 */
import type { KeyInput } from '../../../shared/release/keys.js';
import { ID_PATTERN, type ParsedTopic } from '../../../shared/types/topics.js';
import type { DeviceRegistry } from '../devices.js';
import { FleetEvents } from '../events.js';
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
  /** Directory for releases.db and releases/ (payloads). */
  readonly dataDir: string;
  /** Broker URL and the operator account (broker/operator.ts). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly registry: DeviceRegistry;
  /** Where job and rollout changes are announced. @defaultValue a private bus */
  readonly events?: FleetEvents;
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

export class ReleaseService {
  readonly store: ReleaseStore;
  readonly payloads: PayloadStore;
  readonly events: FleetEvents;
  readonly #o: Required<Omit<ReleaseServiceOptions, 'events' | 'trustedKeys' | 'chunkRate'>> & {
    trustedKeys: readonly KeyInput[];
  };
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
    this.store = ReleaseStore.open(options.dataDir);
    this.payloads = new PayloadStore(options.dataDir);
    this.#runner = new RolloutRunner({
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
        onJobUpdate: (topic, payload) => service.#onJobUpdate(topic, payload),
        onStreamGet: (topic, payload) => service.#onStreamGet(topic, payload),
      });
    } catch (err) {
      service.store.close();
      throw err;
    }
    service.#runner.republish();
    service.#timer = setInterval(() => service.tick(), o.checkIntervalMs);
    service.#timer.unref();
    service.tick();
    return service;
  }

  /** Checks and stores a release file; `created` is false when the same payload was stored before. */
  addRelease(bytes: Uint8Array): { release: ReleaseRecord; created: boolean } {
    const checked = checkReleaseFile(bytes, this.#o.trustedKeys);
    const sha = checked.manifest.sha256;
    const existing = this.store.getRelease(sha);
    if (existing) return { release: releaseRecord(existing), created: false };
    this.payloads.write(sha, checked.payload, checked.files);
    const { release, created } = this.store.insertRelease(
      checked.manifest,
      checked.signature,
      checked.signatureVerified,
      this.#o.now(),
    );
    return { release: releaseRecord(release), created };
  }

  listReleases(): ReleaseRecord[] {
    return this.store.listReleases().map(releaseRecord);
  }

  /** A release by id or version; refuses an unknown or ambiguous reference. */
  getRelease(ref: string): StoredRelease {
    const found = this.store.findReleases(ref);
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
  startRollout(options: StartRolloutOptions): RolloutSummary {
    const { fleet } = options;
    if (!ID_PATTERN.test(fleet))
      throw new ReleaseServiceError('invalid', `fleet '${fleet}' must match ${ID_PATTERN.source}`);
    const stages = checkStages(options.stages ?? ROLLOUT_DEFAULTS.stages);
    const abortFailureRate = checkFailureRate(options.abortFailureRate ?? ROLLOUT_DEFAULTS.abortFailureRate);
    const release = this.getRelease(options.release);
    return this.#summary(
      this.#runner.create(release, fleet, stages, abortFailureRate, options.allowDowngrade === true),
    );
  }

  /** Operator cancel: in-flight jobs are cancelled; devices that installed it keep it. */
  cancelRollout(id: string, reason = 'cancelled by the operator'): RolloutSummary {
    this.#runner.end(this.#running(id), 'cancelled', reason);
    return this.#summary(this.store.getRollout(id)!);
  }

  /** Operator abort: as cancel, and devices that installed the release are told to roll back. */
  abortRollout(id: string, reason = 'aborted by the operator'): RolloutSummary {
    this.#runner.end(this.#running(id), 'aborted', reason);
    return this.#summary(this.store.getRollout(id)!);
  }

  listRollouts(filter: { fleet?: string } = {}): RolloutSummary[] {
    return this.store.listRollouts(filter).map((r) => this.#summary(r));
  }

  getRollout(id: string): { rollout: RolloutSummary; jobs: JobRecord[] } {
    const r = this.store.getRollout(id);
    if (!r) throw new ReleaseServiceError('not-found', `no rollout '${id}'`);
    return { rollout: this.#summary(r), jobs: this.store.jobsOf(id) };
  }

  /** Per device: connection state, installed versions, and the latest job of each release kind. */
  status(fleet?: string): DeviceStatus[] {
    const versions = new Map(this.store.listReleases().map((r) => [r.id, r.version]));
    const latest = new Map<string, Map<string, JobRecord>>();
    for (const job of this.store.jobsOfFleet(fleet)) {
      const key = `${job.fleet}/${job.device}`;
      const perKind = latest.get(key) ?? new Map<string, JobRecord>();
      perKind.set(job.kind, job);
      latest.set(key, perKind);
    }
    return this.#o.registry
      .listDevices()
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

  /** Re-checks every running rollout (stage timeouts); runs on a timer, callable from tests. */
  tick(): void {
    this.#runner.tick();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#evaluationTimer) clearTimeout(this.#evaluationTimer);
    this.#evaluationTimer = null;
    await this.#publisher?.close();
    this.#publisher = null;
    this.store.close();
  }

  #running(id: string): RolloutRecord {
    const r = this.store.getRollout(id);
    if (!r) throw new ReleaseServiceError('not-found', `no rollout '${id}'`);
    if (r.state !== 'running')
      throw new ReleaseServiceError('conflict', `rollout ${id} is already ${r.state}`);
    return r;
  }

  #summary(r: RolloutRecord): RolloutSummary {
    return { ...r, counts: this.store.jobCounts(r.id) };
  }

  #onJobUpdate(topic: ParsedTopic, payload: Buffer): void {
    const outcome = applyJobUpdate(this.store, topic, payload, this.#o.now());
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
    if (isTerminalJob(after) && before.state !== after.state) this.#evaluateSoon(after.rolloutId);
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
        try {
          this.#runner.evaluate(id);
        } catch (err) {
          this.#o.log(`rollout ${id}: check failed: ${(err as Error).message}`);
        }
      }
    }, EVALUATE_DELAY_MS);
  }

  #onStreamGet(topic: ParsedTopic, payload: Buffer): void {
    const reply = answerStreamGet(this, topic, payload);
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
