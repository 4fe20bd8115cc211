/**
 * Release jobs on the device (DESIGN "Releases and sync (MQTT)", rows `jobs/notify` and
 * `jobs/{id}/update`): verify, download, install, report. For each `jobs/notify`:
 *
 *   verify    the envelope against the trusted keys (verifyManifest), the stream id against the
 *             payload sha256, the profile; a failure is `rejected` and nothing else happens.
 *             A release already active in its slot is `succeeded` at once.
 *   download  `accepted`, then chunks over `stream/{sid}/get|data` with ReleaseDownload
 *             (resumable, state in DATA/downloads), `downloading` progress a few times a second
 *   install   `installing` into the inactive slot of the release kind's InstallSlots, health
 *             check, atomic switch or rollback: `succeeded`, `rolled-back` or `failed`
 *
 * The outcome is always reported. The job in progress is kept in DATA/job.json (state.ts), so a
 * process that restarts resumes the download, or reports what the install came to (after
 * InstallSlots.recover()); the final update is kept until its PUBACK arrives and sent again
 * after a restart otherwise. A cancelled notify stops a download and reports `cancelled`; a new
 * job supersedes a download in progress (reported `cancelled`) and waits for an install to end.
 */
import { SignatureError } from '../../shared/errors.js';
import type { KeyInput } from '../../shared/release/keys.js';
import { compareReleaseAge } from '../../shared/release/order.js';
import { verifyManifest } from '../../shared/release/sign.js';
import type { ReleaseKind, ReleaseManifest } from '../../shared/types/release.js';
import { releaseAllowsProfile } from '../../shared/types/release.js';
import type { JobNotify, JobState, JobUpdate, ReleaseRef } from '../../shared/types/sync.js';
import { discardDownload, type RetryPolicy } from './download.js';
import type { HealthCheck, InstallOutcome, InstallSlots, InstallStep } from './slots.js';
import type { CurrentJob, DeviceState } from './state.js';
import { type ChunkTransport, downloadOverStream } from './stream.js';

/** What the job runner needs from the sync client. */
export interface JobTransport extends ChunkTransport {
  publishJobUpdate(update: JobUpdate): Promise<void>;
}

export interface JobRunnerOptions {
  /** The device's data directory (downloads go under DATA/downloads). */
  readonly dataDir: string;
  /** This board's firmware profile name. */
  readonly profile: string;
  /** Public keys releases must be signed with. */
  readonly trust: readonly KeyInput[];
  readonly transport: JobTransport;
  readonly slots: Readonly<Record<ReleaseKind, InstallSlots>>;
  readonly state: DeviceState;
  readonly healthCheck: (kind: ReleaseKind) => HealthCheck;
  /** After every final update (the install outcome when there was one). */
  readonly onFinished?: (update: JobUpdate, outcome: InstallOutcome | null) => void;
  /** Time to wait for one chunk, ms. @defaultValue 10000 */
  readonly chunkTimeoutMs?: number;
  /** Per-chunk retries (download.ts). @defaultValue DOWNLOAD_DEFAULTS */
  readonly retry?: Partial<RetryPolicy>;
  /** Least time between two `downloading` updates, ms. @defaultValue 250 */
  readonly progressIntervalMs?: number;
  /** @defaultValue 60000 */
  readonly healthTimeoutMs?: number;
  /** Install steps, for tests that stop the process between them (InstallSlots onStep). */
  readonly onInstallStep?: (step: InstallStep) => void | Promise<void>;
  readonly log?: (line: string) => void;
}

type JobInput = Pick<JobNotify, 'jobId' | 'rolloutId' | 'envelope' | 'streamId' | 'allowDowngrade'> & {
  readonly installAttempts?: number;
};

type AbortWhy =
  | { readonly why: 'cancelled' }
  | { readonly why: 'superseded'; readonly by: string }
  | { readonly why: 'stopped' };

interface Running {
  readonly jobId: string;
  readonly abort: AbortController;
  phase: 'checking' | 'downloading' | 'installing';
  done: Promise<void>;
}

const MAX_REASON = 1000;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const refOf = (m: ReleaseManifest): ReleaseRef => ({ kind: m.kind, version: m.version, sha256: m.sha256 });

export class JobRunner {
  private current: Running | null = null;
  private queued: JobNotify | null = null;
  private finalInFlight: string | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;
  private readonly log: (line: string) => void;

  constructor(private readonly o: JobRunnerOptions) {
    this.log = o.log ?? ((line) => process.stderr.write(`jobs: ${line}\n`));
  }

  /** The job being worked on, if any. */
  get running(): { jobId: string; phase: Running['phase'] } | null {
    return this.current ? { jobId: this.current.jobId, phase: this.current.phase } : null;
  }

  /**
   * At start-up, after InstallSlots.recover() of both kinds: finish or resume the job DATA/job.json
   * names, and resend a final update the cloud never acknowledged.
   */
  resume(recovered: Partial<Record<ReleaseKind, InstallOutcome>> = {}): void {
    const job = this.o.state.currentJob();
    if (job) this.resumeJob(job, recovered[job.kind]);
    this.resendFinal();
  }

  private resumeJob(job: CurrentJob, recovered: InstallOutcome | undefined): void {
    const ref = { jobId: job.jobId, rolloutId: job.rolloutId };
    const release: ReleaseRef = { kind: job.kind, version: job.version, sha256: job.sha256 };
    if (job.phase === 'installing') {
      const p = this.o.slots[job.kind].pointer();
      if (recovered?.release?.sha256 === job.sha256) {
        this.finish(ref, 'rolled-back', recovered.reason, release, recovered);
        return;
      }
      if (p.active?.release.sha256 === job.sha256 && !p.trial) {
        this.finish(ref, 'succeeded', `installed before a restart (slot ${p.active.slot})`, release, null);
        return;
      }
      if (job.installAttempts >= 2) {
        this.finish(
          ref,
          'failed',
          'the device restarted during this install twice; giving up',
          release,
          null,
        );
        return;
      }
      this.log(`job ${job.jobId}: the device restarted during its install; downloading again`);
    } else this.log(`job ${job.jobId}: resuming after a restart`);
    this.start(job);
  }

  /**
   * Resend the last final update if its PUBACK never arrived (call on every connect), or, with
   * `asked`, whenever the cloud notifies that job again: the broker's PUBACK does not say a cloud
   * process stored it (one killed in between loses it), and a new leader republishes every
   * device's latest job for just that reason (cloud/fleet/releases/rollouts.ts).
   */
  resendFinal(asked = false): void {
    const last = this.o.state.lastJob;
    if (!last || (last.acked && !asked) || this.finalInFlight === last.update.jobId) return;
    this.sendFinal(last.update);
  }

  /** A `jobs/notify` from the cloud (already schema-checked). */
  handleNotify(n: JobNotify): void {
    if (this.stopped) return;
    const cur = this.current;
    const last = this.o.state.lastJob;
    const ref = { jobId: n.jobId, rolloutId: n.rolloutId };
    if (n.cancelled) {
      if (cur?.jobId === n.jobId) {
        if (cur.phase === 'installing')
          this.log(`job ${n.jobId}: cancel arrived during the install; finishing it`);
        else cur.abort.abort({ why: 'cancelled' } satisfies AbortWhy);
        return;
      }
      if (this.queued?.jobId === n.jobId) this.queued = null;
      if (last?.update.jobId === n.jobId) return;
      this.finish(ref, 'cancelled', 'cancelled before it started', undefined, null);
      return;
    }
    if (cur?.jobId === n.jobId || this.queued?.jobId === n.jobId) return;
    if (last?.update.jobId === n.jobId) {
      this.resendFinal(true);
      return;
    }
    if (cur) {
      this.queued = n;
      if (cur.phase !== 'installing') cur.abort.abort({ why: 'superseded', by: n.jobId } satisfies AbortWhy);
      return;
    }
    this.start(n);
  }

  /** Resolves when no job is running or queued. */
  whenIdle(): Promise<void> {
    if (!this.current && !this.queued) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop the download in progress, leaving it in DATA to resume; waits up to `timeoutMs`. */
  async stop(timeoutMs = 2000): Promise<void> {
    this.stopped = true;
    const cur = this.current;
    if (!cur) return;
    cur.abort.abort({ why: 'stopped' } satisfies AbortWhy);
    await Promise.race([cur.done, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  private start(n: JobInput): void {
    const run: Running = {
      jobId: n.jobId,
      abort: new AbortController(),
      phase: 'checking',
      done: Promise.resolve(),
    };
    this.current = run;
    run.done = this.execute(n, run)
      .catch((err: unknown) => this.log(`job ${n.jobId} stopped: ${message(err)}`))
      .finally(() => {
        if (this.current === run) this.current = null;
        const next = this.queued;
        this.queued = null;
        if (next && !this.stopped) this.handleNotify(next);
        else for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private async execute(n: JobInput, run: Running): Promise<void> {
    const ref = { jobId: n.jobId, rolloutId: n.rolloutId };
    let manifest: ReleaseManifest;
    try {
      manifest = verifyManifest(n.envelope, this.o.trust);
    } catch (err) {
      const what = err instanceof SignatureError ? 'signature' : 'manifest';
      this.finish(ref, 'rejected', `${what}: ${message(err)}`, undefined, null);
      return;
    }
    const release = refOf(manifest);
    if (n.streamId !== manifest.sha256) {
      this.finish(
        ref,
        'rejected',
        `stream id ${n.streamId} is not the signed payload sha256 ${manifest.sha256}`,
        release,
        null,
      );
      return;
    }
    if (!releaseAllowsProfile(manifest, this.o.profile)) {
      const reason = `release ${manifest.version} is for profile ${manifest.profiles.join(', ')}; this device runs ${this.o.profile}`;
      this.finish(ref, 'rejected', reason, release, null);
      return;
    }
    const slots = this.o.slots[manifest.kind];
    const p = slots.pointer();
    if (p.active?.release.sha256 === manifest.sha256 && !p.trial) {
      this.finish(
        ref,
        'succeeded',
        `release ${manifest.version} is already installed (slot ${p.active.slot})`,
        release,
        null,
      );
      return;
    }
    const refusal = this.downgradeRefusal(manifest, n.allowDowngrade === true);
    if (refusal) {
      this.finish(ref, 'rejected', refusal, release, null);
      return;
    }
    const attempts = n.installAttempts ?? 0;
    const job: CurrentJob = {
      ...ref,
      streamId: n.streamId,
      envelope: n.envelope,
      kind: manifest.kind,
      sha256: manifest.sha256,
      version: manifest.version,
      phase: 'downloading',
      installAttempts: attempts,
      ...(n.allowDowngrade ? { allowDowngrade: true as const } : {}),
    };
    this.o.state.setCurrentJob(job);
    run.phase = 'downloading';
    this.update(ref, 'accepted', { release });

    const payload = await this.download(manifest, n.streamId, run, ref, release);
    if (!payload) return;

    run.phase = 'installing';
    this.o.state.setCurrentJob({ ...job, phase: 'installing', installAttempts: attempts + 1 });
    this.update(ref, 'installing', { release });
    const outcome = await slots.installRelease({
      payload,
      manifest,
      healthCheck: this.o.healthCheck(manifest.kind),
      profile: this.o.profile,
      ...(this.o.healthTimeoutMs !== undefined ? { healthTimeoutMs: this.o.healthTimeoutMs } : {}),
      ...(this.o.onInstallStep ? { onStep: this.o.onInstallStep } : {}),
    });
    if (outcome.status === 'installed') {
      this.o.state.noteRan(manifest.kind, { version: manifest.version, createdAt: manifest.createdAt });
    }
    const state: JobState =
      outcome.status === 'installed'
        ? 'succeeded'
        : outcome.status === 'rolled-back'
          ? 'rolled-back'
          : 'failed';
    this.finish(ref, state, outcome.reason, release, outcome);
  }

  /**
   * Why a release may not be installed because this device has run a newer one of its kind
   * (rollback protection), or null. A signed downgrade marker in the manifest, or the operator's
   * --allow-downgrade on the notify, lets it through.
   */
  private downgradeRefusal(manifest: ReleaseManifest, allowed: boolean): string | null {
    const newest = this.o.state.newest(manifest.kind);
    if (!newest || compareReleaseAge(manifest, newest) >= 0) return null;
    if (manifest.downgrade || allowed) {
      const why = manifest.downgrade
        ? 'the release is signed as a downgrade'
        : 'the operator allowed a downgrade';
      this.log(`${manifest.kind} ${manifest.version} is older than ${newest.version}; installing it: ${why}`);
      return null;
    }
    return `${manifest.kind} ${manifest.version} is older than ${newest.version}, the newest this device has run (rollback protection: sign it with 'release create --downgrade' or publish it with --allow-downgrade)`;
  }

  /** The verified payload, or null when the job ended here (reported unless stopped). */
  private async download(
    manifest: ReleaseManifest,
    sid: string,
    run: Running,
    ref: { jobId: string; rolloutId: string },
    release: ReleaseRef,
  ): Promise<Uint8Array | null> {
    const signal = run.abort.signal;
    try {
      return await downloadOverStream({
        manifest,
        sid,
        dataDir: this.o.dataDir,
        transport: this.o.transport,
        signal,
        ...(this.o.chunkTimeoutMs !== undefined ? { chunkTimeoutMs: this.o.chunkTimeoutMs } : {}),
        ...(this.o.retry ? { retry: this.o.retry } : {}),
        ...(this.o.progressIntervalMs !== undefined ? { progressIntervalMs: this.o.progressIntervalMs } : {}),
        onProgress: (p) => this.update(ref, 'downloading', { progress: { done: p.done, total: p.total } }),
        onResume: (p) => this.log(`job ${ref.jobId}: resuming the download at chunk ${p.done} of ${p.total}`),
      });
    } catch (err) {
      if (!signal.aborted) {
        this.finish(ref, 'failed', `download: ${message(err)}`, release, null);
        return null;
      }
      const why = signal.reason as AbortWhy;
      if (why.why === 'stopped') return null;
      discardDownload(this.o.dataDir, manifest.sha256);
      const reason = why.why === 'cancelled' ? 'cancelled by the cloud' : `superseded by job ${why.by}`;
      this.finish(ref, 'cancelled', reason, release, null);
      return null;
    }
  }

  private update(
    ref: { jobId: string; rolloutId: string },
    state: JobState,
    extra: Partial<JobUpdate>,
  ): void {
    const u: JobUpdate = { ...ref, state, ...extra, at: new Date().toISOString() };
    this.o.transport
      .publishJobUpdate(u)
      .catch((err: unknown) => this.log(`job ${ref.jobId}: '${state}' update not sent: ${message(err)}`));
  }

  /** Record and report a final state. */
  private finish(
    ref: { jobId: string; rolloutId: string },
    state: JobState,
    reason: string,
    release: ReleaseRef | undefined,
    outcome: InstallOutcome | null,
  ): void {
    const update: JobUpdate = {
      ...ref,
      state,
      reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
      ...(release ? { release } : {}),
      at: new Date().toISOString(),
    };
    this.o.state.setLastJob(update, false);
    if (this.o.state.currentJob()?.jobId === ref.jobId) this.o.state.clearCurrentJob();
    this.log(`job ${ref.jobId}: ${state}: ${update.reason}`);
    this.sendFinal(update);
    try {
      this.o.onFinished?.(update, outcome);
    } catch (err) {
      this.log(`job ${ref.jobId}: after-job hook failed: ${message(err)}`);
    }
  }

  private sendFinal(update: JobUpdate): void {
    this.finalInFlight = update.jobId;
    this.o.transport.publishJobUpdate(update).then(
      () => {
        if (this.finalInFlight === update.jobId) this.finalInFlight = null;
        try {
          this.o.state.markAcked(update.jobId);
        } catch (err) {
          this.log(`job ${update.jobId}: acknowledgement not recorded: ${message(err)}`);
        }
      },
      (err: unknown) => {
        if (this.finalInFlight === update.jobId) this.finalInFlight = null;
        this.log(`job ${update.jobId}: final update not sent (resent on the next connect): ${message(err)}`);
      },
    );
  }
}
