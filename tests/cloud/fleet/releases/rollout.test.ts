/**
 * Staged rollouts end to end over MQTT with simulated devices (cloud/fleet/releases/service.ts):
 * stages 10/50/100 across 10 devices, the abort threshold (cancel in flight, roll back the
 * installed), an operator cancel, a new rollout superseding a running one, a device that comes
 * online later, profiles, and the stage timeout for devices that are away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FleetEvent } from '../../../../cloud/fleet/events.js';
import { ReleaseServiceError } from '../../../../cloud/fleet/releases/errors.js';
import { encodeReleaseFile } from '../../../../shared/release/release-file.js';
import type { JobState } from '../../../../shared/types/sync.js';
import {
  connectDevice,
  libraryRelease,
  type ReleaseFleet,
  type SimDevice,
  startReleaseFleet,
  waitFor,
} from './helpers.js';

const v1 = libraryRelease(1);
const v2 = libraryRelease(2);
const sha1 = v1.envelope.manifest.sha256;
const sha2 = v2.envelope.manifest.sha256;
const ids = (n: number) => Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(2, '0')}`);

let fleet: ReleaseFleet;
beforeAll(async () => {
  fleet = await startReleaseFleet();
  await fleet.service.addRelease(encodeReleaseFile(v1));
  await fleet.service.addRelease(encodeReleaseFile(v2));
});
afterAll(() => fleet.close());

async function devices(fleetId: string, n: number): Promise<SimDevice[]> {
  return Promise.all(ids(n).map((id) => fleet.device(fleetId, id)));
}

/** Runs a device's job to `outcome` through the usual states. */
async function finish(d: SimDevice, outcome: JobState): Promise<void> {
  const { jobId, rolloutId } = d.lastNotify()!;
  await d.update(jobId, 'accepted', { rolloutId });
  await d.update(jobId, 'downloading', { rolloutId, progress: { done: 1, total: 2 } });
  await d.update(jobId, outcome, {
    rolloutId,
    ...(outcome === 'succeeded' ? {} : { reason: `simulated ${outcome}` }),
  });
}

const notified = (ds: SimDevice[]) => ds.filter((d) => d.notifies.length > 0).map((d) => d.id);
const rolloutEvents = (id: string) =>
  fleet.events.filter(
    (e): e is Extract<FleetEvent, { type: 'rollout' }> => e.type === 'rollout' && e.rolloutId === id,
  );

describe('staged rollout', () => {
  it('goes 10% → 50% → 100% of 10 devices as each stage finishes, then completes', async () => {
    const ds = await devices('stage', 10);
    const r = await fleet.service.startRollout({ release: '1', fleet: 'stage', stages: [10, 50, 100] });
    expect(r).toMatchObject({ state: 'running', stage: 0, targets: ids(10), counts: { notified: 1 } });

    await waitFor('stage 0', () => notified(ds).length === 1);
    expect(notified(ds)).toEqual(['dev-00']);
    await finish(ds[0]!, 'succeeded');
    await waitFor('stage 1', () => notified(ds).length === 5);
    expect(notified(ds)).toEqual(ids(5));
    expect((await fleet.service.getRollout(r.id)).rollout.stage).toBe(1);

    await Promise.all(ds.slice(1, 4).map((d) => finish(d, 'succeeded')));
    // One job still in flight: the stage waits for it.
    await waitFor(
      'three more',
      async () => (await fleet.service.getRollout(r.id)).rollout.counts.succeeded === 4,
    );
    expect(notified(ds)).toHaveLength(5);
    await finish(ds[4]!, 'succeeded');
    await waitFor('stage 2', () => notified(ds).length === 10);
    await Promise.all(ds.slice(5).map((d) => finish(d, 'succeeded')));
    await waitFor(
      'completed',
      async () => (await fleet.service.getRollout(r.id)).rollout.state === 'completed',
    );

    const { rollout, jobs } = await fleet.service.getRollout(r.id);
    expect(rollout.counts).toEqual({ succeeded: 10 });
    expect(jobs.map((j) => [j.device, j.stage])).toEqual(
      ids(10).map((id, i) => [id, i < 1 ? 0 : i < 5 ? 1 : 2]),
    );
    expect(rolloutEvents(r.id).map((e) => e.state)).toEqual([
      'running',
      'running',
      'running',
      'running',
      'completed',
    ]);
    const jobEvents = fleet.events.filter((e) => e.type === 'job' && e.rolloutId === r.id);
    expect(jobEvents).toHaveLength(30);
    // Every device was told its target on `desired` (retained) and reports nothing else needed.
    for (const d of ds)
      expect(d.desired.at(-1)!.library).toEqual({ kind: 'library', version: '1', sha256: sha1 });
    const status = await fleet.service.status('stage');
    expect(status.map((s) => s.jobs.map((j) => [j.kind, j.version, j.state]))).toEqual(
      ids(10).map(() => [['library', '1', 'succeeded']]),
    );
  });

  it('aborts over the failure threshold: cancels jobs in flight and rolls back the installed', async () => {
    const ds = await devices('abort', 10);
    const r = await fleet.service.startRollout({ release: sha1, fleet: 'abort', abortFailureRate: 0.2 });
    await waitFor('stage 0', () => notified(ds).length === 1);
    await finish(ds[0]!, 'succeeded');
    await waitFor('stage 1', () => notified(ds).length === 5);
    await finish(ds[1]!, 'failed');
    // 1 failed of 2 terminal: not yet min(3, 5) terminal jobs, so no abort.
    await waitFor(
      'the failure',
      async () => (await fleet.service.getRollout(r.id)).rollout.counts.failed === 1,
    );
    expect((await fleet.service.getRollout(r.id)).rollout.state).toBe('running');
    await finish(ds[2]!, 'rejected');
    await waitFor('aborted', async () => (await fleet.service.getRollout(r.id)).rollout.state === 'aborted');

    const { rollout, jobs } = await fleet.service.getRollout(r.id);
    expect(rollout.reason).toBe('failure rate 2/3 is over the abort threshold 0.2');
    expect(jobs.map((j) => j.state)).toEqual(['succeeded', 'failed', 'rejected', 'cancelled', 'cancelled']);
    // In flight: told to stop; `desired` goes back to what it was (nothing).
    for (const d of ds.slice(3, 5)) {
      await waitFor(`${d.id} cancelled`, () => d.lastNotify()?.cancelled === true);
      await waitFor(`${d.id} desired`, () => d.desired.at(-1)?.library === null);
    }
    // Installed: told to roll back, with the job named.
    await waitFor('rollback command', () => ds[0]!.commands.length === 1);
    const cmd = ds[0]!.commands[0]!;
    expect(cmd.name).toBe('rollback');
    expect(cmd.message.args).toEqual({
      kind: 'library',
      release: sha1,
      jobId: jobs[0]!.jobId,
      rolloutId: r.id,
    });
    await waitFor('dev-00 desired', () => ds[0]!.desired.at(-1)?.library === null);
    // Failed devices get no command; later stages were never issued.
    expect(ds.slice(1).flatMap((d) => d.commands)).toEqual([]);
    expect(notified(ds)).toEqual(ids(5));
    expect(rolloutEvents(r.id).at(-1)!.state).toBe('aborted');

    // The device reports the rollback on its job; a cancelled device may no longer fetch chunks.
    await ds[0]!.update(jobs[0]!.jobId, 'rolled-back', { reason: 'rollback command' });
    await waitFor(
      'rolled-back',
      async () => (await fleet.service.store.getJob(jobs[0]!.jobId))?.state === 'rolled-back',
    );
    const answer = JSON.parse((await ds[3]!.request(sha1, { chunk: 0 })).toString());
    expect(answer).toEqual({ error: `unknown stream ${sha1}`, chunk: 0 });
  });

  it('cancels on request: in-flight jobs stop, installed devices keep the release', async () => {
    const ds = await devices('cancel', 4);
    const r = await fleet.service.startRollout({ release: sha1, fleet: 'cancel', stages: [50, 100] });
    await waitFor('stage 0', () => notified(ds).length === 2);
    await finish(ds[0]!, 'succeeded');
    await waitFor(
      'succeeded',
      async () => (await fleet.service.getRollout(r.id)).rollout.counts.succeeded === 1,
    );
    const cancelled = await fleet.service.cancelRollout(r.id);
    expect(cancelled).toMatchObject({ state: 'cancelled', reason: 'cancelled by the operator' });
    expect(cancelled.counts).toEqual({ succeeded: 1, cancelled: 1 });
    await waitFor('dev-01 cancelled', () => ds[1]!.lastNotify()?.cancelled === true);
    await waitFor('dev-01 desired', () => ds[1]!.desired.at(-1)?.library === null);
    expect(ds[0]!.desired.at(-1)!.library?.sha256).toBe(sha1);
    expect(ds[0]!.commands).toEqual([]);
    expect(notified(ds)).toEqual(ids(2));
    await expect(fleet.service.cancelRollout(r.id)).rejects.toThrow(ReleaseServiceError);
    await expect(fleet.service.abortRollout(r.id)).rejects.toThrow(/already cancelled/);
    await expect(fleet.service.cancelRollout('ro-nope')).rejects.toThrow(/no rollout/);
  });

  it('supersedes a running rollout of the same fleet and kind', async () => {
    const ds = await devices('super', 2);
    const first = await fleet.service.startRollout({ release: sha1, fleet: 'super', stages: [50, 100] });
    await waitFor('first job', () => ds[0]!.notifies.length === 1);
    const second = await fleet.service.startRollout({ release: sha2, fleet: 'super', stages: [50, 100] });
    expect((await fleet.service.getRollout(first.id)).rollout).toMatchObject({
      state: 'cancelled',
      reason: `superseded by rollout ${second.id}`,
    });
    await waitFor('cancel, then the new job', () => ds[0]!.notifies.length === 3);
    expect(ds[0]!.notifies.map((n) => [n.rolloutId, n.cancelled])).toEqual([
      [first.id, false],
      [first.id, true],
      [second.id, false],
    ]);
    expect(ds[0]!.lastNotify()!.streamId).toBe(sha2);
    await waitFor('desired v2', () => ds[0]!.desired.at(-1)?.library?.sha256 === sha2);
    expect((await fleet.service.listRollouts({ fleet: 'super' })).map((x) => x.state)).toEqual([
      'cancelled',
      'running',
    ]);
  });

  it('delivers the retained job to a device that comes online later', async () => {
    const creds = fleet.register('late', 'dev-00');
    const r = await fleet.service.startRollout({ release: sha1, fleet: 'late', stages: [100] });
    expect(r.counts).toEqual({ notified: 1 });
    const d = await connectDevice(fleet.broker.url, creds);
    try {
      await waitFor('retained notify', () => d.notifies.length === 1 && d.desired.length === 1);
      expect(d.lastNotify()).toMatchObject({ rolloutId: r.id, streamId: sha1, cancelled: false });
    } finally {
      await d.close();
    }
  });

  it('targets only devices whose profile the release allows (unknown profiles included)', async () => {
    const allowed = v1.envelope.manifest.profiles[0]!;
    await fleet.device('prof', 'a-known', { profile: allowed });
    await fleet.device('prof', 'b-other', { profile: 'not-a-board' });
    await fleet.device('prof', 'c-unknown');
    const r = await fleet.service.startRollout({ release: sha1, fleet: 'prof', stages: [100] });
    expect(r.targets).toEqual(['a-known', 'c-unknown']);
    await expect(fleet.service.startRollout({ release: sha1, fleet: 'nobody' })).rejects.toThrow(
      /no registered device/,
    );
    await expect(fleet.service.startRollout({ release: 'v9', fleet: 'prof' })).rejects.toThrow(
      /no release 'v9'/,
    );
    await expect(fleet.service.startRollout({ release: sha1, fleet: 'prof', stages: [50] })).rejects.toThrow(
      /end at 100/,
    );
  });
});

describe('stage timeout', () => {
  let timed: ReleaseFleet;
  beforeAll(async () => {
    timed = await startReleaseFleet({ stageTimeoutMs: 300, checkIntervalMs: 50 });
    await timed.service.addRelease(encodeReleaseFile(v1));
  });
  afterAll(() => timed.close());

  it('moves on from a device that stays offline, but waits for one that is online', async () => {
    const a = await timed.device('t', 'a');
    const b = await timed.device('t', 'b');
    timed.registry.recordStatus('t', 'a', 'offline', true);
    timed.registry.recordStatus('t', 'b', 'online', true);
    const r = await timed.service.startRollout({ release: sha1, fleet: 't', stages: [50, 100] });
    expect(r.counts).toEqual({ notified: 1 });
    await waitFor('a notified', () => a.notifies.length === 1);
    // a never answers and is offline: after the timeout, stage 1 goes to b.
    await waitFor('b notified after the timeout', () => b.notifies.length === 1, 5000);
    expect((await timed.service.getRollout(r.id)).rollout.stage).toBe(1);
    // b is online and in flight: the rollout waits for it past the timeout.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await timed.service.getRollout(r.id)).rollout.state).toBe('running');
    await finish(b, 'succeeded');
    await waitFor(
      'completed',
      async () => (await timed.service.getRollout(r.id)).rollout.state === 'completed',
    );
    // a's job stays open: it gets its retained notify when it is back.
    expect((await timed.service.getRollout(r.id)).jobs.map((j) => j.state)).toEqual([
      'notified',
      'succeeded',
    ]);
  });
});
