/**
 * Serving a release over MQTT (DESIGN rows `jobs/notify` and `stream/{sid}/get|data`): a device
 * with a job gets a verifiable notify and every chunk; out-of-range and unknown streams get a
 * StreamError; a device without a job for the release gets nothing of it; malformed requests
 * and job updates are dropped with a log line; a device cannot touch another device's job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeChunkFrame, verifyChunk, verifyPayload } from '../../../../shared/release/chunks.js';
import { encodeReleaseFile } from '../../../../shared/release/release-file.js';
import { verifyManifest } from '../../../../shared/release/sign.js';
import { StreamErrorSchema } from '../../../../shared/types/sync.js';
import { closed } from '../helpers.js';
import {
  KEYS,
  libraryRelease,
  type ReleaseFleet,
  type SimDevice,
  startReleaseFleet,
  waitFor,
} from './helpers.js';

const release = libraryRelease(1, 512);
const sha = release.envelope.manifest.sha256;
let fleet: ReleaseFleet;
let dev: SimDevice;
let jobId: string;

beforeAll(async () => {
  fleet = await startReleaseFleet();
  const { created } = await fleet.service.addRelease(encodeReleaseFile(release));
  expect(created).toBe(true);
  dev = await fleet.device('chunks', 'dev-a');
  await fleet.service.startRollout({ release: sha, fleet: 'chunks', stages: [100] });
  await waitFor('the notify', () => dev.notifies.length === 1);
  jobId = dev.lastNotify()!.jobId;
});
afterAll(() => fleet.close());

function streamError(payload: Buffer) {
  return StreamErrorSchema.parse(JSON.parse(payload.toString()));
}

describe('release chunks over MQTT', () => {
  it('notifies the device with a verifiable envelope and its desired target', async () => {
    const n = dev.lastNotify()!;
    expect(n).toMatchObject({ streamId: sha, cancelled: false, format: 'liquidkan-job' });
    const manifest = verifyManifest(n.envelope, [KEYS.publicKey]);
    expect(manifest.sha256).toBe(sha);
    await waitFor('desired', () => dev.desired.length === 1);
    expect(dev.desired[0]!.library).toEqual({ kind: 'library', version: '1', sha256: sha });
  });

  it('serves every chunk as a frame that verifies against the signed manifest', async () => {
    const manifest = release.envelope.manifest;
    expect(manifest.chunks.length).toBeGreaterThan(3);
    const parts: Uint8Array[] = [];
    // Resumable: any index, in any order.
    const order = [...manifest.chunks.keys()].reverse();
    for (const i of order) {
      const chunk = decodeChunkFrame(await dev.request(sha, { chunk: i }));
      expect(chunk.index).toBe(i);
      verifyChunk(manifest, i, chunk.bytes);
      parts[i] = chunk.bytes;
    }
    const payload = Buffer.concat(parts);
    verifyPayload(manifest, payload);
  });

  it('answers an out-of-range chunk and an unknown stream with a StreamError', async () => {
    const n = release.envelope.manifest.chunks.length;
    expect(streamError(await dev.request(sha, { chunk: n }))).toEqual({
      error: `chunk ${n} is outside 0..${n - 1} of stream ${sha}`,
      chunk: n,
    });
    const unknown = 'ab'.repeat(32);
    expect(streamError(await dev.request(unknown, { chunk: 0 }))).toEqual({
      error: `unknown stream ${unknown}`,
      chunk: 0,
    });
    expect(streamError(await dev.request('not-a-sha', { chunk: 0 })).error).toBe('unknown stream not-a-sha');
  });

  it('drops malformed chunk requests with a log line and keeps serving', async () => {
    const before = fleet.logs.length;
    for (const bad of [
      'nope',
      '{"chunk":-1}',
      '{"chunk":1,"x":2}',
      JSON.stringify({ chunk: 'x'.repeat(70_000) }),
    ]) {
      dev.client.publish(dev.topic(`stream/${sha}/get`), bad, { qos: 1 });
    }
    const ok = decodeChunkFrame(await dev.request(sha, { chunk: 0 }));
    expect(ok.index).toBe(0);
    // three reach the release service and are dropped there; the oversized one never leaves
    // the broker, which drops device control messages over their bound before forwarding
    await waitFor(
      'three log lines',
      () => fleet.logs.slice(before).filter((l) => l.startsWith('dropped chunk request')).length === 3,
    );
    expect(
      fleet.logs
        .slice(before)
        .some((l) => l.startsWith('broker: not forwarding') && l.includes('over 65536')),
    ).toBe(true);
  });

  it('gives a device without a job for the release nothing of it', async () => {
    const stranger = await fleet.device('chunks-other', 'dev-x');
    const err = streamError(await stranger.request(sha, { chunk: 0 }));
    expect(err).toEqual({ error: `unknown stream ${sha}`, chunk: 0 });
    expect(fleet.logs.some((l) => l.includes('chunks-other/dev-x') && l.includes('holds no job'))).toBe(true);
  });

  it('stores valid job updates and drops invalid ones with a log line', async () => {
    const events = fleet.events.length;
    await dev.update(jobId, 'downloading', { progress: { done: 2, total: 9 } });
    await waitFor('the job event', () => fleet.events.slice(events).some((e) => e.type === 'job'));
    expect(await fleet.service.store.getJob(jobId)).toMatchObject({
      state: 'downloading',
      progress: { done: 2, total: 9 },
    });

    const before = fleet.logs.length;
    // Not JSON; a field the schema lacks; a state that does not exist; a jobId that is not the topic's.
    dev.client.publish(dev.topic(`jobs/${jobId}/update`), '{', { qos: 1 });
    await dev.update(jobId, 'installing', { extra: 1 } as object);
    await dev.update(jobId, 'exploded' as 'failed');
    await dev.client.publishAsync(
      dev.topic(`jobs/${jobId}/update`),
      JSON.stringify({ jobId: 'job-other', state: 'failed', at: new Date().toISOString() }),
      { qos: 1 },
    );
    // A job id the device does not have.
    await dev.update('job-0000', 'failed');
    await waitFor(
      'five drops',
      () => fleet.logs.slice(before).filter((l) => l.startsWith('dropped job update')).length === 5,
    );
    expect((await fleet.service.store.getJob(jobId))!.state).toBe('downloading');
  });

  it("keeps a device away from another device's job", async () => {
    const other = await fleet.device('chunks', 'dev-b');
    // On its own topic, naming dev-a's job: the cloud drops it.
    await other.update(jobId, 'failed');
    await waitFor('the drop', () =>
      fleet.logs.some((l) => l.includes(`no job ${jobId} for device chunks/dev-b`)),
    );
    // On dev-a's topic: the broker refuses the publish and closes the connection.
    other.client.publish(
      dev.topic(`jobs/${jobId}/update`),
      JSON.stringify({ jobId, state: 'failed', at: new Date().toISOString() }),
      { qos: 1 },
    );
    await closed(other.client);
    expect(
      fleet.logs.some((l) => l.includes('denied publish') && l.includes(`chunks/dev-a/jobs/${jobId}`)),
    ).toBe(true);
    expect((await fleet.service.store.getJob(jobId))!.state).toBe('downloading');
  });

  it('ignores a stale in-flight update after the job finished', async () => {
    await dev.update(jobId, 'succeeded');
    await waitFor('succeeded', async () => (await fleet.service.store.getJob(jobId))?.state === 'succeeded');
    await dev.update(jobId, 'downloading');
    await waitFor('the ignore', () =>
      fleet.logs.some((l) => l.startsWith('ignored job update') && l.includes('stale')),
    );
    expect((await fleet.service.store.getJob(jobId))!.state).toBe('succeeded');
    // finished jobs are gathered for a moment before their rollout is evaluated
    await waitFor(
      'the rollout completed',
      async () => (await fleet.service.getRollout(dev.lastNotify()!.rolloutId)).rollout.state === 'completed',
    );
  });
});
