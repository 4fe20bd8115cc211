/**
 * The staged rollout as a pure state machine (DESIGN "Releases and sync (MQTT)": "staged
 * rollout with an abort threshold"). Given a running rollout, its jobs and where its devices
 * are, planRollout says what to do next: wait, issue the next stage's jobs, complete, or abort.
 * No clock, no database, no MQTT: the release service feeds it and carries out the step.
 *
 * - Stage k covers the first ceil(stages[k]% × N) targets in their fixed (sorted id) order.
 * - The next stage starts when every job issued so far is terminal, or its device has been
 *   away (not online) for longer than the stage timeout.
 * - Failure rate = (failed + rolled-back + rejected) / terminal; above abortFailureRate, once at
 *   least min(3, jobs issued) jobs are terminal, the rollout aborts.
 */
import { InputError } from '../../../shared/errors.js';
import { type JobState, TERMINAL_JOB_STATES } from '../../../shared/types/sync.js';
import type { CloudJobState } from './types.js';

export const FAILED_JOB_STATES: ReadonlySet<JobState> = new Set(['failed', 'rolled-back', 'rejected']);

/** Terminal jobs needed before the failure rate may abort a rollout. */
export const MIN_TERMINAL_FOR_ABORT = 3;

export const ROLLOUT_DEFAULTS = Object.freeze({
  stages: [10, 50, 100] as readonly number[],
  abortFailureRate: 0.2,
  /** How long a stage waits for a device that is offline or lost, in ms. @defaultValue 600000 */
  stageTimeoutMs: 600_000,
});

export interface PlanJob {
  readonly device: string;
  readonly state: CloudJobState;
  readonly issuedMs: number;
}

/** Where a device is: online, or away since `lastSeenMs` (null when never seen). */
export interface Presence {
  readonly online: boolean;
  readonly lastSeenMs: number | null;
}

export interface PlanInput {
  readonly stages: readonly number[];
  /** Index of the last stage issued; -1 before the first. */
  readonly stage: number;
  readonly abortFailureRate: number;
  readonly targets: readonly string[];
  readonly jobs: readonly PlanJob[];
  /** Presence of a device; undefined (e.g. removed from the registry) counts as away. */
  readonly presence: (device: string) => Presence | undefined;
  readonly nowMs: number;
  readonly stageTimeoutMs: number;
}

export type PlanStep =
  /** Jobs still in flight on devices that are online (or away for less than the timeout). */
  | { readonly kind: 'wait'; readonly waitingOn: readonly string[] }
  | { readonly kind: 'issue'; readonly stage: number; readonly devices: readonly string[] }
  | { readonly kind: 'complete' }
  | { readonly kind: 'abort'; readonly reason: string };

/** Check stages: strictly increasing percentages in (0, 100], ending at 100. */
export function checkStages(stages: readonly number[]): readonly number[] {
  if (stages.length === 0) throw new InputError('stages: give at least one percentage, e.g. 10,50,100');
  stages.forEach((p, i) => {
    if (!Number.isFinite(p) || p <= 0 || p > 100) {
      throw new InputError(`stages: ${p} must be a percentage in (0, 100]`);
    }
    if (i > 0 && p <= stages[i - 1]!) {
      throw new InputError(`stages: ${stages.join(',')} must be strictly increasing`);
    }
  });
  if (stages[stages.length - 1] !== 100) {
    throw new InputError(`stages: ${stages.join(',')} must end at 100 (the whole fleet)`);
  }
  return stages;
}

export function checkFailureRate(rate: number): number {
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new InputError(`abortFailureRate: ${rate} must be a fraction in [0, 1]`);
  }
  return rate;
}

/** Devices covered by stages 0..k together: ceil(stages[k]% × n). */
export function stageSize(stages: readonly number[], k: number, n: number): number {
  if (k < 0) return 0;
  // The small slack keeps 7% of 100 at 7 despite 7 * 100 / 100 rounding in binary.
  return Math.min(n, Math.ceil((stages[k]! * n) / 100 - 1e-9));
}

export function failureStats(jobs: readonly PlanJob[]): { terminal: number; failed: number; rate: number } {
  let terminal = 0;
  let failed = 0;
  for (const j of jobs) {
    if (!isTerminal(j.state)) continue;
    terminal++;
    if (FAILED_JOB_STATES.has(j.state)) failed++;
  }
  return { terminal, failed, rate: terminal === 0 ? 0 : failed / terminal };
}

/** A job that has finished, one way or another (a device's 'notified' is where it starts). */
export function isTerminal(state: CloudJobState): state is JobState {
  return state !== 'notified' && TERMINAL_JOB_STATES.has(state);
}

/** A job the stage no longer waits for: its device has been away longer than the timeout. */
export function isStalled(job: PlanJob, presence: Presence | undefined, nowMs: number, timeoutMs: number) {
  if (isTerminal(job.state) || presence?.online) return false;
  const awaySince = Math.max(presence?.lastSeenMs ?? 0, job.issuedMs);
  return nowMs - awaySince > timeoutMs;
}

export function planRollout(input: PlanInput): PlanStep {
  const { jobs, stages, targets } = input;
  const stats = failureStats(jobs);
  if (
    jobs.length > 0 &&
    stats.terminal >= Math.min(MIN_TERMINAL_FOR_ABORT, jobs.length) &&
    stats.rate > input.abortFailureRate
  ) {
    return {
      kind: 'abort',
      reason: `failure rate ${stats.failed}/${stats.terminal} is over the abort threshold ${input.abortFailureRate}`,
    };
  }
  const waitingOn = jobs
    .filter(
      (j) =>
        !isTerminal(j.state) && !isStalled(j, input.presence(j.device), input.nowMs, input.stageTimeoutMs),
    )
    .map((j) => j.device);
  if (waitingOn.length > 0) return { kind: 'wait', waitingOn };
  const issued = new Set(jobs.map((j) => j.device));
  for (let k = input.stage + 1; k < stages.length; k++) {
    const devices = targets.slice(0, stageSize(stages, k, targets.length)).filter((d) => !issued.has(d));
    if (devices.length > 0) return { kind: 'issue', stage: k, devices };
  }
  return { kind: 'complete' };
}
