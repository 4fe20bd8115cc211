/**
 * Carrying out a rollout (rollout-plan.ts decides): creating it over the fleet's eligible
 * devices, issuing each stage's jobs (`desired` and `jobs/notify`, retained), completing it, and
 * ending it by cancel or abort (`jobs/notify` with cancelled, `cmd/rollback`, `desired` put
 * back). Each change is written to the release store in one transaction, then published, then
 * announced on the FleetEvents bus.
 *
 * Once per job, across leaders (the shared cloud, scale/service.ts). Only the leader plans and
 * issues (`leads`). A stage's jobs are committed before their `jobs/notify` is published, in a
 * transaction that writes nothing when the stage was already issued (ReleaseStoreApi
 * issueStage), and a job row is unique per (rollout, device): a device is given at most one job
 * per rollout, whatever the leaders do. A leader that dies after the commit and before the
 * broker has the message leaves a job nobody was told of; a new leader republishes every
 * device's latest job and `desired` when it is elected (republish), so each committed job
 * reaches its device at least once, and a device acts on a job id once (device/sync/jobs.ts
 * ignores a notify for a job it holds, and answers one for a job it has finished with its final
 * update again, which a killed leader may have taken with it). A leader that dies before the
 * commit wrote nothing: the next one plans the same stage again. Not covered: `cmd/rollback` of
 * an abort is not retained, so one lost that way is not sent again.
 */
import { randomBytes } from 'node:crypto';
import type { FleetEvents } from '../events.js';
import type { DeviceRegistryApi, ReleaseStoreApi } from '../store/types.js';
import { ReleaseServiceError } from './errors.js';
import { desiredMessage, jobNotify, rollbackCommand } from './messages.js';
import type { ReleasePublisher } from './publisher.js';
import { type Presence, planRollout } from './rollout-plan.js';
import type { JobRecord, RolloutRecord, StoredRelease } from './types.js';

export interface RolloutContext {
  readonly store: ReleaseStoreApi;
  readonly registry: Pick<DeviceRegistryApi, 'listDevices'>;
  readonly events: Pick<FleetEvents, 'publish'>;
  /** The MQTT side; null while it is not connected (state is still written and republished later). */
  readonly publisher: () => ReleasePublisher | null;
  readonly stageTimeoutMs: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Whether this process plans and issues stages (the leader). @defaultValue always */
  readonly leads?: () => boolean;
}

export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;

export class RolloutRunner {
  readonly #c: RolloutContext;
  /** One evaluation at a time per rollout in this process (the store guards across processes). */
  readonly #evaluating = new Map<string, Promise<void>>();

  constructor(context: RolloutContext) {
    this.#c = context;
  }

  get leads(): boolean {
    return this.#c.leads?.() ?? true;
  }

  /**
   * Creates a rollout of `release` over the fleet's devices whose profile it allows (or whose
   * profile is not known yet), cancels a running one of the same fleet and kind, and issues
   * stage 0 (here when this process leads, else on the leader's next check). Stages and rate
   * must already be checked.
   */
  async create(
    release: StoredRelease,
    fleet: string,
    stages: readonly number[],
    abortFailureRate: number,
    allowDowngrade = false,
  ): Promise<RolloutRecord> {
    const targets = (await this.#c.registry.listDevices())
      .filter((d) => d.fleet === fleet && (d.profile === null || release.profiles.includes(d.profile)))
      .map((d) => d.id)
      .sort();
    if (targets.length === 0) {
      throw new ReleaseServiceError(
        'invalid',
        `fleet '${fleet}' has no registered device whose profile release ${release.version} allows (${release.profiles.join(', ')})`,
      );
    }
    const id = newId('ro');
    for (const old of await this.#c.store.listRollouts({ fleet, kind: release.kind, state: 'running' })) {
      await this.end(old, 'cancelled', `superseded by rollout ${id}`);
    }
    const now = this.#c.now();
    await this.#c.store.insertRollout({
      id,
      release: release.id,
      kind: release.kind,
      version: release.version,
      fleet,
      stages,
      abortFailureRate,
      allowDowngrade,
      state: 'running',
      stage: -1,
      targets,
      reason: null,
      createdMs: now,
      updatedMs: now,
    });
    this.#c.events.publish({ type: 'rollout', rolloutId: id, state: 'running' });
    await this.evaluate(id);
    return (await this.#c.store.getRollout(id))!;
  }

  /** Re-checks every running rollout (stage timeouts); only on the leader. */
  async tick(): Promise<void> {
    if (!this.leads) return;
    for (const r of await this.#c.store.listRollouts({ state: 'running' })) {
      try {
        await this.evaluate(r.id);
      } catch (err) {
        this.#c.log(`rollout ${r.id}: check failed: ${(err as Error).message}`);
      }
    }
  }

  async #presenceOf(fleet: string): Promise<(device: string) => Presence | undefined> {
    const map = new Map(
      (await this.#c.registry.listDevices())
        .filter((d) => d.fleet === fleet)
        .map((d) => [d.id, { online: d.online, lastSeenMs: d.lastSeenMs }]),
    );
    return (device) => map.get(device);
  }

  /** Plans a running rollout's next step and carries it out (only on the leader). */
  evaluate(id: string): Promise<void> {
    if (!this.leads) return Promise.resolve();
    const previous = this.#evaluating.get(id) ?? Promise.resolve();
    const next = previous.then(() => this.#evaluateNow(id));
    const settled = next.catch(() => {});
    this.#evaluating.set(id, settled);
    void settled.then(() => {
      if (this.#evaluating.get(id) === settled) this.#evaluating.delete(id);
    });
    return next;
  }

  async #evaluateNow(id: string): Promise<void> {
    if (!this.leads) return;
    const r = await this.#c.store.getRollout(id);
    if (r?.state !== 'running') return;
    const jobs = await this.#c.store.jobsOf(id);
    const step = planRollout({
      stages: r.stages,
      stage: r.stage,
      abortFailureRate: r.abortFailureRate,
      targets: r.targets,
      jobs,
      presence: await this.#presenceOf(r.fleet),
      nowMs: this.#c.now(),
      stageTimeoutMs: this.#c.stageTimeoutMs,
    });
    if (step.kind === 'issue') await this.#issue(r, step.stage, step.devices);
    else if (step.kind === 'abort') await this.end(r, 'aborted', step.reason);
    else if (step.kind === 'complete') {
      if (await this.#c.store.completeRollout(id, this.#c.now())) {
        this.#c.events.publish({ type: 'rollout', rolloutId: id, state: 'completed' });
      }
    }
  }

  async #issue(r: RolloutRecord, stage: number, devices: readonly string[]): Promise<void> {
    const release = (await this.#c.store.getRelease(r.release))!;
    const now = this.#c.now();
    const issued = await this.#c.store.issueStage(r, stage, devices, release, now, () => newId('job'));
    // null: another process issued this stage first (or ended the rollout); it published
    if (!issued) return;
    for (const { job, doc } of issued) {
      const dev = { fleet: job.fleet, device: job.device };
      this.#c.publisher()?.publishDeviceJson(dev, 'desired', desiredMessage(doc, now));
      this.#c
        .publisher()
        ?.publishDeviceJson(dev, 'jobs/notify', jobNotify(job, release, false, r.allowDowngrade));
    }
    this.#c.events.publish({ type: 'rollout', rolloutId: r.id, state: 'running' });
  }

  /**
   * Ends a running rollout: jobs still in flight are cancelled (and told so on `jobs/notify`);
   * on abort, devices whose job succeeded get `cmd/rollback`. Either way `desired` goes back to
   * what it was for every device the rollout no longer leaves on the release. False when the
   * rollout was no longer running (ended or completed elsewhere first).
   */
  async end(r: RolloutRecord, state: 'cancelled' | 'aborted', reason: string): Promise<boolean> {
    const release = (await this.#c.store.getRelease(r.release))!;
    const now = this.#c.now();
    const ended = await this.#c.store.endRollout(r.id, state, reason, now);
    if (!ended) return false;
    for (const job of ended.cancelled) {
      const dev = { fleet: job.fleet, device: job.device };
      this.#c
        .publisher()
        ?.publishDeviceJson(dev, 'jobs/notify', jobNotify(job, release, true, r.allowDowngrade));
    }
    for (const { fleet, device, doc } of ended.desired) {
      this.#c.publisher()?.publishDeviceJson({ fleet, device }, 'desired', desiredMessage(doc, now));
    }
    for (const job of ended.rollbacks) {
      this.#c
        .publisher()
        ?.publishCommand({ fleet: job.fleet, device: job.device }, 'rollback', rollbackCommand(job, now));
    }
    for (const job of ended.cancelled) {
      this.#c.events.publish({
        type: 'job',
        rolloutId: r.id,
        jobId: job.jobId,
        fleet: job.fleet,
        device: job.device,
        state: 'cancelled',
      });
    }
    this.#c.events.publish({ type: 'rollout', rolloutId: r.id, state });
    this.#c.log(`rollout ${r.id} ${state}: ${reason}`);
    return true;
  }

  /**
   * Puts back what the broker retains for each device (lost if an embedded broker restarted, or
   * never sent by a leader that died between a commit and its publish): `desired`, and
   * `jobs/notify` of the device's latest job. The count of jobs republished.
   */
  async republish(): Promise<number> {
    const publisher = this.#c.publisher();
    if (!publisher) return 0;
    for (const { fleet, device, doc, updatedMs } of await this.#c.store.allDesired()) {
      publisher.publishDeviceJson({ fleet, device }, 'desired', desiredMessage(doc, updatedMs));
    }
    const latest = new Map<string, JobRecord>();
    for (const job of await this.#c.store.jobsOfFleet()) latest.set(`${job.fleet}/${job.device}`, job);
    const allow = new Map<string, boolean>();
    for (const job of latest.values()) {
      // the store keeps parsed releases cached
      const release = (await this.#c.store.getRelease(job.release))!;
      if (!allow.has(job.rolloutId)) {
        allow.set(job.rolloutId, (await this.#c.store.getRollout(job.rolloutId))?.allowDowngrade ?? false);
      }
      publisher.publishDeviceJson(
        { fleet: job.fleet, device: job.device },
        'jobs/notify',
        jobNotify(job, release, job.state === 'cancelled', allow.get(job.rolloutId)),
      );
    }
    return latest.size;
  }
}
