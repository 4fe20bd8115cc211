/**
 * Carrying out a rollout (rollout-plan.ts decides): creating it over the fleet's eligible
 * devices, issuing each stage's jobs (`desired` and `jobs/notify`, retained), completing it, and
 * ending it by cancel or abort (`jobs/notify` with cancelled, `cmd/rollback`, `desired` put
 * back). Each change is written to releases.db in one transaction, then published, then
 * announced on the FleetEvents bus.
 */
import { randomBytes } from 'node:crypto';
import type { DeviceRegistry } from '../devices.js';
import type { FleetEvents } from '../events.js';
import { ReleaseServiceError } from './errors.js';
import { isTerminalJob } from './job-update.js';
import { desiredMessage, jobNotify, releaseRef, rollbackCommand } from './messages.js';
import type { ReleasePublisher } from './publisher.js';
import { type Presence, planRollout } from './rollout-plan.js';
import type { DesiredDoc, ReleaseStore } from './store.js';
import type { JobRecord, RolloutRecord, StoredRelease } from './types.js';

export interface RolloutContext {
  readonly store: ReleaseStore;
  readonly registry: DeviceRegistry;
  readonly events: FleetEvents;
  /** The MQTT side; null while it is not connected (state is still written and republished later). */
  readonly publisher: () => ReleasePublisher | null;
  readonly stageTimeoutMs: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
}

export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex')}`;

export class RolloutRunner {
  readonly #c: RolloutContext;

  constructor(context: RolloutContext) {
    this.#c = context;
  }

  /**
   * Creates a rollout of `release` over the fleet's devices whose profile it allows (or whose
   * profile is not known yet), cancels a running one of the same fleet and kind, and issues
   * stage 0. Stages and rate must already be checked.
   */
  create(
    release: StoredRelease,
    fleet: string,
    stages: readonly number[],
    abortFailureRate: number,
    allowDowngrade = false,
  ): RolloutRecord {
    const targets = this.#c.registry
      .listDevices()
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
    for (const old of this.#c.store.listRollouts({ fleet, kind: release.kind, state: 'running' })) {
      this.end(old, 'cancelled', `superseded by rollout ${id}`);
    }
    const now = this.#c.now();
    this.#c.store.insertRollout({
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
    this.evaluate(id);
    return this.#c.store.getRollout(id)!;
  }

  /** Re-checks every running rollout (stage timeouts). */
  tick(): void {
    for (const r of this.#c.store.listRollouts({ state: 'running' })) {
      try {
        this.evaluate(r.id);
      } catch (err) {
        this.#c.log(`rollout ${r.id}: check failed: ${(err as Error).message}`);
      }
    }
  }

  #presenceOf(fleet: string): (device: string) => Presence | undefined {
    let map: Map<string, Presence> | null = null;
    return (device) => {
      map ??= new Map(
        this.#c.registry
          .listDevices()
          .filter((d) => d.fleet === fleet)
          .map((d) => [d.id, { online: d.online, lastSeenMs: d.lastSeenMs }]),
      );
      return map.get(device);
    };
  }

  /** Plans a running rollout's next step and carries it out. */
  evaluate(id: string): void {
    const r = this.#c.store.getRollout(id);
    if (r?.state !== 'running') return;
    const step = planRollout({
      stages: r.stages,
      stage: r.stage,
      abortFailureRate: r.abortFailureRate,
      targets: r.targets,
      jobs: this.#c.store.jobsOf(id),
      presence: this.#presenceOf(r.fleet),
      nowMs: this.#c.now(),
      stageTimeoutMs: this.#c.stageTimeoutMs,
    });
    if (step.kind === 'issue') this.#issue(r, step.stage, step.devices);
    else if (step.kind === 'abort') this.end(r, 'aborted', step.reason);
    else if (step.kind === 'complete') {
      this.#c.store.updateRollout(id, { state: 'completed' }, this.#c.now());
      this.#c.events.publish({ type: 'rollout', rolloutId: id, state: 'completed' });
    }
  }

  #issue(r: RolloutRecord, stage: number, devices: readonly string[]): void {
    const release = this.#c.store.getRelease(r.release)!;
    const ref = releaseRef(release);
    const now = this.#c.now();
    const issued = this.#c.store.transaction(() => {
      const out: { job: JobRecord; doc: DesiredDoc }[] = [];
      for (const device of devices) {
        const doc = this.#c.store.desired(r.fleet, device);
        const job: JobRecord = {
          jobId: newId('job'),
          rolloutId: r.id,
          release: release.id,
          kind: release.kind,
          fleet: r.fleet,
          device,
          stage,
          state: 'notified',
          progress: null,
          reason: null,
          previous: doc[release.kind] ?? null,
          issuedMs: now,
          updatedMs: now,
        };
        this.#c.store.insertJob(job);
        const next: DesiredDoc = { ...doc, [release.kind]: ref };
        this.#c.store.setDesired(r.fleet, device, next, now);
        out.push({ job, doc: next });
      }
      this.#c.store.updateRollout(r.id, { stage }, now);
      return out;
    });
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
   * what it was for every device the rollout no longer leaves on the release.
   */
  end(r: RolloutRecord, state: 'cancelled' | 'aborted', reason: string): void {
    const release = this.#c.store.getRelease(r.release)!;
    const now = this.#c.now();
    const jobs = this.#c.store.jobsOf(r.id);
    const cancelled: JobRecord[] = [];
    const rollbacks: JobRecord[] = [];
    const desired = new Map<string, { fleet: string; device: string; doc: DesiredDoc }>();
    const restore = (job: JobRecord) => {
      const doc = this.#c.store.desired(job.fleet, job.device);
      if (doc[job.kind]?.sha256 !== job.release) return;
      const next: DesiredDoc = { ...doc, [job.kind]: job.previous };
      this.#c.store.setDesired(job.fleet, job.device, next, now);
      desired.set(job.device, { fleet: job.fleet, device: job.device, doc: next });
    };
    this.#c.store.transaction(() => {
      this.#c.store.updateRollout(r.id, { state, reason }, now);
      for (const job of jobs) {
        if (!isTerminalJob(job)) {
          this.#c.store.updateJob(job.jobId, { state: 'cancelled', reason }, now);
          cancelled.push(job);
          restore(job);
        } else if (state === 'aborted' && job.state === 'succeeded') {
          rollbacks.push(job);
          restore(job);
        }
      }
    });
    for (const job of cancelled) {
      const dev = { fleet: job.fleet, device: job.device };
      this.#c
        .publisher()
        ?.publishDeviceJson(dev, 'jobs/notify', jobNotify(job, release, true, r.allowDowngrade));
    }
    for (const { fleet, device, doc } of desired.values()) {
      this.#c.publisher()?.publishDeviceJson({ fleet, device }, 'desired', desiredMessage(doc, now));
    }
    for (const job of rollbacks) {
      this.#c
        .publisher()
        ?.publishCommand({ fleet: job.fleet, device: job.device }, 'rollback', rollbackCommand(job, now));
    }
    for (const job of cancelled) {
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
  }

  /**
   * Puts back what the broker retains for each device (lost if an embedded broker restarted):
   * `desired`, and `jobs/notify` of the device's latest job.
   */
  republish(): void {
    const publisher = this.#c.publisher();
    if (!publisher) return;
    for (const { fleet, device, doc, updatedMs } of this.#c.store.allDesired()) {
      publisher.publishDeviceJson({ fleet, device }, 'desired', desiredMessage(doc, updatedMs));
    }
    const latest = new Map<string, JobRecord>();
    for (const job of this.#c.store.jobsOfFleet()) latest.set(`${job.fleet}/${job.device}`, job);
    for (const job of latest.values()) {
      // the store keeps parsed releases cached
      const release = this.#c.store.getRelease(job.release)!;
      const dev = { fleet: job.fleet, device: job.device };
      const allow = this.#c.store.getRollout(job.rolloutId)?.allowDowngrade ?? false;
      publisher.publishDeviceJson(
        dev,
        'jobs/notify',
        jobNotify(job, release, job.state === 'cancelled', allow),
      );
    }
  }
}
