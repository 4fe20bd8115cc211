/**
 * `jobs/{id}/update` (DESIGN row `jobs/notify`, `jobs/{id}/update`: "release job; its progress
 * and outcome"). An update is stored only if it parses, names the job of its topic, and that job
 * belongs to the device that sent it. A terminal job stays terminal: a late non-terminal update
 * (reordered or replayed; several cloud processes of a shared subscription can take one
 * device's updates out of order) is ignored, checked again in the store's write so two
 * processes cannot race past it, while a terminal one may still correct it (a device that
 * succeeded and was then told to roll back reports `rolled-back`).
 */
import {
  type JobUpdate,
  JobUpdateSchema,
  parseControl,
  TERMINAL_JOB_STATES,
} from '../../../shared/types/sync.js';
import type { ParsedTopic } from '../../../shared/types/topics.js';
import type { ReleaseStoreApi } from '../store/types.js';
import { isTerminal } from './rollout-plan.js';
import type { JobRecord } from './types.js';

export type JobUpdateOutcome =
  | {
      readonly result: 'stored';
      readonly before: JobRecord;
      readonly after: JobRecord;
      readonly update: JobUpdate;
    }
  | { readonly result: 'ignored' | 'dropped'; readonly reason: string };

export function isTerminalJob(job: JobRecord): boolean {
  return isTerminal(job.state);
}

export async function applyJobUpdate(
  store: ReleaseStoreApi,
  topic: ParsedTopic,
  payload: Buffer,
  nowMs: number,
): Promise<JobUpdateOutcome> {
  const parsed = parseControl(JobUpdateSchema, payload);
  if (!parsed.ok) return { result: 'dropped', reason: parsed.reason };
  const update = parsed.value;
  if (update.jobId !== topic.rest) {
    return { result: 'dropped', reason: `jobId ${update.jobId} is not the topic's job ${topic.rest}` };
  }
  const job = await store.getJob(update.jobId);
  if (!job || job.fleet !== topic.fleet || job.device !== topic.device) {
    return { result: 'dropped', reason: `no job ${update.jobId} for device ${topic.fleet}/${topic.device}` };
  }
  if (update.rolloutId !== undefined && update.rolloutId !== job.rolloutId) {
    return {
      result: 'dropped',
      reason: `job ${job.jobId} belongs to rollout ${job.rolloutId}, not ${update.rolloutId}`,
    };
  }
  if (isTerminalJob(job) && !TERMINAL_JOB_STATES.has(update.state)) {
    return {
      result: 'ignored',
      reason: `job ${job.jobId} is already ${job.state}; '${update.state}' is stale`,
    };
  }
  const written = await store.updateJob(
    job.jobId,
    {
      state: update.state,
      ...(update.progress ? { progress: update.progress } : {}),
      ...(update.reason !== undefined ? { reason: update.reason } : {}),
    },
    nowMs,
  );
  // finished meanwhile (another process stored a later update first): this one is stale
  if (!written) {
    return { result: 'ignored', reason: `job ${job.jobId} finished meanwhile; '${update.state}' is stale` };
  }
  return { result: 'stored', before: job, after: (await store.getJob(job.jobId))!, update };
}
