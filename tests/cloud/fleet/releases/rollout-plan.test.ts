/**
 * The staged rollout as a pure state machine (cloud/fleet/releases/rollout-plan.ts): stage
 * sizes, when the next stage starts, the stage timeout for devices that are away, and the
 * abort threshold. No MQTT and no clock: every input is given.
 */
import { describe, expect, it } from 'vitest';
import {
  checkFailureRate,
  checkStages,
  type PlanInput,
  type PlanJob,
  planRollout,
  stageSize,
} from '../../../../cloud/fleet/releases/rollout-plan.js';
import type { CloudJobState } from '../../../../cloud/fleet/releases/types.js';

const TARGETS = Array.from({ length: 10 }, (_, i) => `dev-${String(i).padStart(2, '0')}`);

function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    stages: [10, 50, 100],
    stage: -1,
    abortFailureRate: 0.2,
    targets: TARGETS,
    jobs: [],
    presence: () => ({ online: true, lastSeenMs: 0 }),
    nowMs: 1_000_000,
    stageTimeoutMs: 600_000,
    ...over,
  };
}

const jobs = (states: Record<string, CloudJobState>, issuedMs = 1_000_000): PlanJob[] =>
  Object.entries(states).map(([device, state]) => ({ device, state, issuedMs }));

describe('stage sizes', () => {
  it('covers ceil(p% × N) devices per stage, cumulatively', () => {
    expect([0, 1, 2].map((k) => stageSize([10, 50, 100], k, 10))).toEqual([1, 5, 10]);
    expect([0, 1, 2].map((k) => stageSize([10, 50, 100], k, 1))).toEqual([1, 1, 1]);
    expect([0, 1, 2].map((k) => stageSize([10, 50, 100], k, 3))).toEqual([1, 2, 3]);
    // 7 × 100 / 100 is 7.000000000000001 in binary; it must still be 7 devices.
    expect(stageSize([7, 100], 0, 100)).toBe(7);
    expect(stageSize([10, 50, 100], -1, 10)).toBe(0);
  });

  it('refuses stages that are not increasing percentages ending at 100, and bad rates', () => {
    expect(checkStages([10, 50, 100])).toEqual([10, 50, 100]);
    expect(() => checkStages([])).toThrow(/at least one/);
    expect(() => checkStages([50, 10, 100])).toThrow(/strictly increasing/);
    expect(() => checkStages([10, 50])).toThrow(/must end at 100/);
    expect(() => checkStages([0, 100])).toThrow(/\(0, 100\]/);
    expect(() => checkStages([10, 101])).toThrow(/\(0, 100\]/);
    expect(() => checkFailureRate(1.5)).toThrow(/\[0, 1\]/);
    expect(() => checkFailureRate(Number.NaN)).toThrow(/\[0, 1\]/);
    expect(checkFailureRate(0)).toBe(0);
  });
});

describe('planRollout', () => {
  it('issues stage 0 to the first device in sorted order', () => {
    expect(planRollout(input())).toEqual({ kind: 'issue', stage: 0, devices: ['dev-00'] });
  });

  it('waits while a job is in flight on an online device', () => {
    const step = planRollout(input({ stage: 0, jobs: jobs({ 'dev-00': 'downloading' }) }));
    expect(step).toEqual({ kind: 'wait', waitingOn: ['dev-00'] });
    expect(planRollout(input({ stage: 0, jobs: jobs({ 'dev-00': 'notified' }) })).kind).toBe('wait');
  });

  it('issues the next stage once every job is terminal, then completes', () => {
    const s1 = planRollout(input({ stage: 0, jobs: jobs({ 'dev-00': 'succeeded' }) }));
    expect(s1).toEqual({ kind: 'issue', stage: 1, devices: ['dev-01', 'dev-02', 'dev-03', 'dev-04'] });
    const five = Object.fromEntries(TARGETS.slice(0, 5).map((d) => [d, 'succeeded' as const]));
    const s2 = planRollout(input({ stage: 1, jobs: jobs(five) }));
    expect(s2).toEqual({ kind: 'issue', stage: 2, devices: TARGETS.slice(5) });
    const all = Object.fromEntries(TARGETS.map((d) => [d, 'succeeded' as const]));
    expect(planRollout(input({ stage: 2, jobs: jobs(all) }))).toEqual({ kind: 'complete' });
  });

  it('skips a stage that adds no device', () => {
    const step = planRollout(
      input({ targets: ['a'], stage: 0, jobs: jobs({ a: 'succeeded' }), stages: [10, 50, 100] }),
    );
    expect(step).toEqual({ kind: 'complete' });
    const three = planRollout(
      input({ targets: ['a', 'b', 'c'], stages: [10, 20, 100], stage: 0, jobs: jobs({ a: 'succeeded' }) }),
    );
    // 20% of 3 is 1 device, which stage 0 already has: stage 2 is next.
    expect(three).toEqual({ kind: 'issue', stage: 2, devices: ['b', 'c'] });
  });

  it('stops waiting for a device that has been away longer than the stage timeout', () => {
    const away = (lastSeenMs: number | null) => () => ({ online: false, lastSeenMs });
    const base = { stage: 0, jobs: jobs({ 'dev-00': 'downloading' }, 1_000_000) };
    // Issued at 1 000 000, away since then: 600 000 ms later is not yet longer than the timeout.
    expect(planRollout(input({ ...base, presence: away(null), nowMs: 1_600_000 })).kind).toBe('wait');
    expect(planRollout(input({ ...base, presence: away(null), nowMs: 1_600_001 })).kind).toBe('issue');
    // Seen after the job was issued: the timeout counts from then.
    expect(planRollout(input({ ...base, presence: away(1_500_000), nowMs: 1_700_000 })).kind).toBe('wait');
    // Unknown to the registry counts as away.
    expect(planRollout(input({ ...base, presence: () => undefined, nowMs: 2_000_000 })).kind).toBe('issue');
    // An online device is waited for however long it takes.
    const online = () => ({ online: true, lastSeenMs: 0 });
    expect(planRollout(input({ ...base, presence: online, nowMs: 9_000_000 })).kind).toBe('wait');
  });

  it('aborts when failures exceed the threshold after min(3, issued) terminal jobs', () => {
    // One device issued, it failed: 1 ≥ min(3, 1) terminal, rate 1 > 0.2.
    expect(planRollout(input({ stage: 0, jobs: jobs({ 'dev-00': 'failed' }) })).kind).toBe('abort');
    // Five issued, one rejected and one in flight: only 1 terminal of the 3 needed.
    const early = jobs({ a: 'rejected', b: 'downloading', c: 'notified', d: 'accepted', e: 'installing' });
    expect(planRollout(input({ stage: 1, jobs: early })).kind).toBe('wait');
    // 1 failure of 3 terminal: 0.33 > 0.2.
    const three = jobs({ a: 'rolled-back', b: 'succeeded', c: 'succeeded', d: 'accepted', e: 'installing' });
    const step = planRollout(input({ stage: 1, jobs: three }));
    expect(step).toEqual({ kind: 'abort', reason: 'failure rate 1/3 is over the abort threshold 0.2' });
    // Exactly at the threshold does not abort (it must exceed it).
    const atRate = jobs({ a: 'failed', b: 'succeeded', c: 'succeeded', d: 'succeeded', e: 'succeeded' });
    expect(planRollout(input({ stage: 1, jobs: atRate })).kind).toBe('issue');
    // Device-side cancellations are terminal but not failures.
    const cancels = jobs({ a: 'cancelled', b: 'cancelled', c: 'failed', d: 'succeeded', e: 'succeeded' });
    expect(planRollout(input({ stage: 1, jobs: cancels, abortFailureRate: 0.2 })).kind).toBe('issue');
  });
});
