/**
 * The cloud-side sync messages the release service sends, built and checked against their
 * schemas in shared/types/sync.ts before they go out (a bug here should fail loudly in the
 * cloud, not be refused quietly by every device).
 */
import {
  type CommandMessage,
  CommandSchema,
  type Desired,
  DesiredSchema,
  JOB_FORMAT,
  type JobNotify,
  JobNotifySchema,
  type ReleaseRef,
} from '../../../shared/types/sync.js';
import type { DesiredDoc } from './store.js';
import type { JobRecord, StoredRelease } from './types.js';

export function releaseRef(release: StoredRelease): ReleaseRef {
  return { kind: release.kind, version: release.version, sha256: release.id };
}

/**
 * `jobs/notify` for a job; `cancelled` tells the device to stop and report `cancelled`,
 * `allowDowngrade` (the rollout's) to install even when it has run a newer release.
 */
export function jobNotify(
  job: JobRecord,
  release: StoredRelease,
  cancelled: boolean,
  allowDowngrade = false,
): JobNotify {
  return JobNotifySchema.parse({
    format: JOB_FORMAT,
    formatVersion: 1,
    jobId: job.jobId,
    rolloutId: job.rolloutId,
    envelope: { manifest: release.manifest, signature: release.signature },
    streamId: release.id,
    cancelled,
    ...(allowDowngrade ? { allowDowngrade: true } : {}),
    createdAt: new Date(job.issuedMs).toISOString(),
  });
}

export function desiredMessage(doc: DesiredDoc, updatedMs: number): Desired {
  return DesiredSchema.parse({ ...doc, updatedAt: new Date(updatedMs).toISOString() });
}

/**
 * `cmd/rollback` for a job that succeeded in an aborted rollout: go back to the slot that ran
 * before it. args name the release kind, the release to leave, and the job and rollout.
 */
export function rollbackCommand(job: JobRecord, nowMs: number): CommandMessage {
  return CommandSchema.parse({
    id: `rollback-${job.jobId}`,
    args: { kind: job.kind, release: job.release, jobId: job.jobId, rolloutId: job.rolloutId },
    at: new Date(nowMs).toISOString(),
  });
}
