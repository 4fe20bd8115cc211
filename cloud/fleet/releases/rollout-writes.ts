/**
 * What a rollout's two multi-row changes write, as pure functions: issuing a stage (a job per
 * device, each device's `desired` pointed at the release) and ending a rollout (in-flight jobs
 * cancelled, `desired` put back, succeeded jobs rolled back on abort). Both release stores
 * (SQLite store.ts, PostgreSQL store/postgres/releases.ts) read the rows, call these, and write
 * the result in one transaction, so the rules live once and the backends only do I/O.
 */
import { releaseRef } from './messages.js';
import { isTerminal } from './rollout-plan.js';
import type { DesiredDoc } from './store.js';
import type { JobRecord, RolloutRecord, StoredRelease } from './types.js';

/** A job issued in a stage and the device's `desired` after it. */
export interface IssuedJob {
  readonly job: JobRecord;
  readonly doc: DesiredDoc;
}

/** What ending a rollout changed, for the caller to publish. */
export interface EndedRollout {
  /** Jobs that were in flight, now cancelled (each gets a cancelled `jobs/notify`). */
  readonly cancelled: readonly JobRecord[];
  /** Jobs that had succeeded in an aborted rollout (each device gets `cmd/rollback`). */
  readonly rollbacks: readonly JobRecord[];
  /** Devices whose `desired` went back to what it was before the rollout. */
  readonly desired: readonly { readonly fleet: string; readonly device: string; readonly doc: DesiredDoc }[];
}

/** The jobs of stage `stage` for `devices`, given each device's current `desired`. */
export function stageJobs(
  r: RolloutRecord,
  stage: number,
  devices: readonly string[],
  release: StoredRelease,
  desiredOf: (device: string) => DesiredDoc,
  nowMs: number,
  newJobId: () => string,
): IssuedJob[] {
  const ref = releaseRef(release);
  return devices.map((device) => {
    const doc = desiredOf(device);
    const job: JobRecord = {
      jobId: newJobId(),
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
      issuedMs: nowMs,
      updatedMs: nowMs,
    };
    return { job, doc: { ...doc, [release.kind]: ref } };
  });
}

/**
 * Ending a rollout: jobs still in flight are cancelled; on abort, succeeded jobs are rolled back.
 * Either way `desired` goes back to the job's `previous` for every device it still points at
 * this release.
 */
export function endChanges(
  jobs: readonly JobRecord[],
  state: 'cancelled' | 'aborted',
  desiredOf: (fleet: string, device: string) => DesiredDoc,
): EndedRollout {
  const cancelled: JobRecord[] = [];
  const rollbacks: JobRecord[] = [];
  const desired = new Map<string, { fleet: string; device: string; doc: DesiredDoc }>();
  const restore = (job: JobRecord) => {
    const doc = desiredOf(job.fleet, job.device);
    if (doc[job.kind]?.sha256 !== job.release) return;
    desired.set(`${job.fleet}/${job.device}`, {
      fleet: job.fleet,
      device: job.device,
      doc: { ...doc, [job.kind]: job.previous },
    });
  };
  for (const job of jobs) {
    if (!isTerminal(job.state)) {
      cancelled.push(job);
      restore(job);
    } else if (state === 'aborted' && job.state === 'succeeded') {
      rollbacks.push(job);
      restore(job);
    }
  }
  return { cancelled, rollbacks, desired: [...desired.values()] };
}
