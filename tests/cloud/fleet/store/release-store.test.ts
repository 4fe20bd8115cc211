/**
 * One suite for the release store and payload interfaces (cloud/fleet/store/types.ts), run
 * against SQLite and PostgreSQL: releases stored once, a stage issued once (a second issue of
 * the same stage, even at the same moment, writes nothing: what keeps a device from getting a
 * job twice when two processes think they lead), a finished job kept finished against a late
 * update, a rollout ended once with `desired` put back, and payload chunks served as frames
 * that verify against the manifest.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { newId } from '../../../../cloud/fleet/releases/rollouts.js';
import type { RolloutRecord, StoredRelease } from '../../../../cloud/fleet/releases/types.js';
import { decodeChunkFrame, verifyChunk } from '../../../../shared/release/chunks.js';
import { libraryRelease } from '../releases/helpers.js';
import { BACKENDS, type OpenedStores } from './backends.js';

const v1 = libraryRelease(1, 256);
const v2 = libraryRelease(2, 256);

async function stored(s: OpenedStores, r = v1, at = 1_000): Promise<StoredRelease> {
  const { manifest, signature } = r.envelope;
  return (await s.releases.insertRelease(manifest, signature, true, at)).release;
}

function rollout(release: StoredRelease, targets: string[], id = newId('ro')): RolloutRecord {
  return {
    id,
    release: release.id,
    kind: release.kind,
    version: release.version,
    fleet: 'plant',
    stages: [50, 100],
    abortFailureRate: 0.2,
    allowDowngrade: false,
    state: 'running',
    stage: -1,
    targets,
    reason: null,
    createdMs: 2_000,
    updatedMs: 2_000,
  };
}

for (const make of BACKENDS) {
  const backend = make();
  describe.skipIf(backend.skip !== null)(`release store on ${backend.name}`, () => {
    afterAll(() => backend.stop());

    it('stores a release once and finds it by id, version and kind', async () => {
      const s = await backend.open();
      try {
        const { manifest, signature } = v1.envelope;
        const first = await s.releases.insertRelease(manifest, signature, true, 1_000);
        expect(first.created).toBe(true);
        expect(first.release).toMatchObject({
          id: manifest.sha256,
          kind: 'library',
          version: '1',
          chunks: manifest.chunks.length,
          signatureVerified: true,
          createdMs: 1_000,
        });
        expect(first.release.manifest).toEqual(manifest);
        expect((await s.releases.insertRelease(manifest, signature, false, 5_000)).created).toBe(false);
        await stored(s, v2, 2_000);
        expect((await s.releases.findReleases('1')).map((r) => r.id)).toEqual([manifest.sha256]);
        expect((await s.releases.findReleases(manifest.sha256)).map((r) => r.version)).toEqual(['1']);
        expect((await s.releases.listReleases()).map((r) => r.version)).toEqual(['1', '2']);
        expect((await s.releases.latestRelease('library'))?.version).toBe('2');
        expect(await s.releases.latestRelease('model')).toBeNull();
        expect(await s.releases.getRelease('f'.repeat(64))).toBeNull();
      } finally {
        await s.close();
      }
    });

    it('issues a stage once, even when two callers issue it at the same moment', async () => {
      const s = await backend.open();
      try {
        const release = await stored(s);
        const r = rollout(release, ['a', 'b', 'c', 'd']);
        await s.releases.insertRollout(r);
        const both = await Promise.all([
          s.releases.issueStage(r, 0, ['a', 'b'], release, 3_000, () => newId('job')),
          s.releases.issueStage(r, 0, ['a', 'b'], release, 3_000, () => newId('job')),
        ]);
        expect(both.filter((x) => x !== null)).toHaveLength(1);
        const issued = both.find((x) => x !== null)!;
        expect(issued.map((i) => i.job.device)).toEqual(['a', 'b']);
        expect(issued[0]!.doc).toEqual({ library: { kind: 'library', version: '1', sha256: release.id } });
        // a stale plan for an earlier stage writes nothing either
        expect(await s.releases.issueStage(r, 0, ['c'], release, 3_100, () => newId('job'))).toBeNull();
        const jobs = await s.releases.jobsOf(r.id);
        expect(jobs.map((j) => [j.device, j.stage, j.state, j.previous])).toEqual([
          ['a', 0, 'notified', null],
          ['b', 0, 'notified', null],
        ]);
        expect(await s.releases.getRollout(r.id)).toMatchObject({ stage: 0, state: 'running', version: '1' });
        expect(await s.releases.deviceHasJobFor('plant', 'a', release.id)).toBe(true);
        expect(await s.releases.deviceHasJobFor('plant', 'c', release.id)).toBe(false);

        await s.releases.updateJob(
          jobs[0]!.jobId,
          { state: 'succeeded', progress: { done: 2, total: 2 } },
          4_000,
        );
        expect(await s.releases.getJob(jobs[0]!.jobId)).toMatchObject({
          state: 'succeeded',
          progress: { done: 2, total: 2 },
          updatedMs: 4_000,
        });
        // a late update from before it finished (taken out of order by another process) changes nothing
        expect(await s.releases.updateJob(jobs[0]!.jobId, { state: 'installing' }, 4_100)).toBe(false);
        expect(await s.releases.getJob(jobs[0]!.jobId)).toMatchObject({
          state: 'succeeded',
          updatedMs: 4_000,
        });
        expect(await s.releases.updateJob(jobs[1]!.jobId, { state: 'downloading' }, 4_200)).toBe(true);
        expect(await s.releases.updateJob(jobs[1]!.jobId, { state: 'notified' }, 4_200)).toBe(true);
        expect(await s.releases.updateJob('job-none', { state: 'succeeded' }, 4_200)).toBe(false);
        expect(await s.releases.jobCounts(r.id)).toEqual({ succeeded: 1, notified: 1 });
        const next = await s.releases.issueStage(r, 1, ['c', 'd'], release, 5_000, () => newId('job'));
        expect(next?.map((i) => i.job.stage)).toEqual([1, 1]);
        expect((await s.releases.jobsOfFleet('plant')).map((j) => j.device)).toEqual(['a', 'b', 'c', 'd']);
        expect((await s.releases.allDesired()).map((d) => d.device).sort()).toEqual(['a', 'b', 'c', 'd']);
        expect(await s.releases.completeRollout(r.id, 6_000)).toBe(true);
        expect(await s.releases.completeRollout(r.id, 6_000)).toBe(false);
        expect(await s.releases.issueStage(r, 2, ['x'], release, 7_000, () => newId('job'))).toBeNull();
        expect((await s.releases.listRollouts({ state: 'completed' })).map((x) => x.id)).toEqual([r.id]);
      } finally {
        await s.close();
      }
    });

    it('ends a rollout once: in-flight jobs cancelled, succeeded ones rolled back, desired put back', async () => {
      const s = await backend.open();
      try {
        const old = await stored(s, v1, 1_000);
        const release = await stored(s, v2, 1_500);
        // every device runs v1 first
        const before = rollout(old, ['a', 'b', 'c']);
        await s.releases.insertRollout(before);
        await s.releases.issueStage(before, 1, ['a', 'b', 'c'], old, 2_000, () => newId('job'));
        await s.releases.completeRollout(before.id, 2_100);

        const r = rollout(release, ['a', 'b', 'c']);
        await s.releases.insertRollout(r);
        const issued = (await s.releases.issueStage(r, 0, ['a', 'b'], release, 3_000, () => newId('job')))!;
        expect(issued[0]!.job.previous).toEqual({ kind: 'library', version: '1', sha256: old.id });
        await s.releases.updateJob(issued[0]!.job.jobId, { state: 'succeeded' }, 3_500);

        const [one, two] = await Promise.all([
          s.releases.endRollout(r.id, 'aborted', 'too many failures', 4_000),
          s.releases.endRollout(r.id, 'cancelled', 'operator', 4_000),
        ]);
        const ended = one ?? two;
        expect([one, two].filter((x) => x !== null)).toHaveLength(1);
        const state = one ? 'aborted' : 'cancelled';
        expect(ended!.cancelled.map((j) => j.device)).toEqual(['b']);
        expect(ended!.rollbacks.map((j) => j.device)).toEqual(state === 'aborted' ? ['a'] : []);
        const back = { library: { kind: 'library', version: '1', sha256: old.id } };
        expect(ended!.desired.map((d) => [d.device, d.doc])).toEqual(
          state === 'aborted'
            ? [
                ['a', back],
                ['b', back],
              ]
            : [['b', back]],
        );
        expect(await s.releases.getRollout(r.id)).toMatchObject({ state, updatedMs: 4_000 });
        expect((await s.releases.jobsOf(r.id)).map((j) => j.state)).toEqual(['succeeded', 'cancelled']);
        expect(await s.releases.deviceHasJobFor('plant', 'b', release.id)).toBe(false);
        const desired = new Map((await s.releases.allDesired()).map((d) => [d.device, d.doc]));
        expect(desired.get('b')).toEqual(back);
        expect(await s.releases.endRollout(r.id, 'cancelled', 'again', 5_000)).toBeNull();
      } finally {
        await s.close();
      }
    });

    it('serves each payload chunk as a frame that verifies against the manifest', async () => {
      const s = await backend.open();
      try {
        const { manifest } = v1.envelope;
        await s.payloads.write(manifest.sha256, v1.payload, {}, manifest.chunkBytes);
        // written again (an upload repeated): nothing changes
        await s.payloads.write(manifest.sha256, v1.payload, {}, manifest.chunkBytes);
        expect(manifest.chunks.length).toBeGreaterThan(2);
        for (const i of [manifest.chunks.length - 1, 0, 1]) {
          const frame = await s.payloads.frame(manifest.sha256, i, manifest.chunkBytes);
          const chunk = decodeChunkFrame(frame!);
          expect(chunk.index).toBe(i);
          verifyChunk(manifest, i, chunk.bytes);
        }
        expect(await s.payloads.frame('e'.repeat(64), 0, manifest.chunkBytes)).toBeUndefined();
      } finally {
        await s.close();
      }
    });
  });
}
