/**
 * Faults during a release transfer, with the real cloud (startCloud, embedded broker) and a real
 * DeviceAgent: the cloud (and its broker) restarted mid-download, after which the download goes
 * on from where it was; a corrupt chunk frame injected on the wire, which the device rejects and
 * fetches again; a payload corrupted in the cloud's store, which no retry can fix: the job is
 * reported failed and the device keeps running its model.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkAt, encodeChunkFrame } from '../../shared/release/chunks.js';
import { createRelease, type Release } from '../../shared/release/create.js';
import { encodeReleaseFile } from '../../shared/release/release-file.js';
import { baseModel, scaledReadout, writeModelBundle } from '../device/sync/models.js';
import { type E2eFleet, startAgent, startE2eFleet, waitFor, warmedUp } from './harness.js';

const work = mkdtempSync(join(tmpdir(), 'liquidkan-e2e-transfer-'));
const base = baseModel();
const bundleV1 = writeModelBundle(join(work, 'v1'), base);
let f: E2eFleet;
let watcher: MqttClient;
/** `stream/{sid}/get` requests seen, per device, as chunk indexes. */
const gets = new Map<string, number[]>();

/** A model release cut into the smallest chunks, so a transfer takes many round trips. */
function smallChunks(version: string, shift: number): Release {
  const dir = writeModelBundle(join(work, version), scaledReadout(base, 1, shift));
  return createRelease({ kind: 'model', dir, key: f.keys.privateKey, version, chunkBytes: 256 });
}

beforeAll(async () => {
  f = await startE2eFleet({ fleet: 'faults' });
  watcher = await f.operatorClient('e2e-watcher');
  watcher.on('message', (topic, payload) => {
    const [, , , device, kind, , verb] = topic.split('/');
    if (kind !== 'stream' || verb !== 'get') return;
    const list = gets.get(device!) ?? [];
    list.push((JSON.parse(payload.toString()) as { chunk: number }).chunk);
    gets.set(device!, list);
  });
  await watcher.subscribeAsync('lk/v1/+/+/stream/+/get', { qos: 1 });
});
afterAll(async () => {
  await watcher?.endAsync(true);
  await f?.close();
  rmSync(work, { recursive: true, force: true });
});

const FINAL = ['succeeded', 'failed', 'rolled-back', 'rejected', 'cancelled'];

describe('release transfer faults (real cloud and device)', () => {
  it('resumes a download after the cloud and its broker restart mid-transfer', async () => {
    const [creds] = await f.provision(['t-restart'], 'f-restart');
    const a = startAgent(creds!, {
      dataDir: join(work, 't-restart'),
      model: bundleV1,
      trust: f.keys.publicKey,
    });
    await warmedUp(a);
    const release = smallChunks('r2', 1e-3);
    const chunks = release.envelope.manifest.chunks.length;
    expect(chunks).toBeGreaterThan(40);
    const rollout = await f.publish(release, { fleet: 'f-restart' });
    await waitFor('a few chunks fetched', () => (gets.get('t-restart')?.length ?? 0) >= 8, 10_000);
    await f.restartCloud();
    const job = await f.waitForJob(rollout, 't-restart', FINAL);
    expect(job.state).toBe('succeeded');
    const seen = gets.get('t-restart')!;
    // every chunk was fetched, and the restart cost a few requests, not a second download
    expect(new Set(seen).size).toBe(chunks);
    expect(seen.length).toBeLessThan(chunks + 10);
    expect(Math.max(...seen.slice(0, 8))).toBeLessThan(chunks - 1);
    await waitFor(
      'reported r2',
      () => f.cloud.registry.getDevice('f-restart', 't-restart')?.modelVersion === 'r2',
    );
    await a.finish();
  });

  it('rejects a corrupt chunk frame on the wire and fetches the chunk again', async () => {
    const [creds] = await f.provision(['t-wire'], 'f-wire');
    const a = startAgent(creds!, { dataDir: join(work, 't-wire'), model: bundleV1, trust: f.keys.publicKey });
    await warmedUp(a);
    const release = smallChunks('w2', 2e-3);
    const sid = release.envelope.manifest.sha256;
    // A man in the middle on the operator account answers chunk requests with a frame whose last
    // byte is flipped. Its answer races the cloud's and may land while no request is pending (the
    // device is writing the previous chunk), so it keeps trying, from chunk 3 on, until the
    // device asks for some chunk a second time: the spoiled try was refetched.
    const mitm = await f.operatorClient('e2e-mitm');
    let injected = 0;
    const asked = new Set<number>();
    let refetched = -1;
    // spoiled frames made in advance, so the answer is as quick as the cloud's cached one
    const spoiled = release.envelope.manifest.chunks.map((_, i) => {
      const frame = encodeChunkFrame(chunkAt(release.payload, i, 256));
      frame[frame.length - 1]! ^= 0xff;
      return Buffer.from(frame);
    });
    mitm.on('message', (topic, payload) => {
      const i = (JSON.parse(payload.toString()) as { chunk: number }).chunk;
      if (asked.has(i) && refetched < 0) refetched = i;
      asked.add(i);
      if (i < 3 || refetched >= 0) return;
      injected++;
      void mitm.publishAsync(topic.replace(/\/get$/, '/data'), spoiled[i]!, { qos: 1 });
    });
    await mitm.subscribeAsync(`lk/v1/f-wire/t-wire/stream/${sid}/get`, { qos: 1 });
    const rollout = await f.publish(release, { fleet: 'f-wire' });
    const job = await f.waitForJob(rollout, 't-wire', FINAL);
    expect(job.state).toBe('succeeded');
    expect(injected).toBeGreaterThanOrEqual(1);
    expect(refetched).toBeGreaterThanOrEqual(2);
    const seen = gets.get('t-wire')!;
    expect(new Set(seen).size).toBe(release.envelope.manifest.chunks.length);
    expect(seen.length).toBeGreaterThan(release.envelope.manifest.chunks.length);
    await mitm.endAsync(true);
    await a.finish();
  });

  it('reports a payload corrupted in the cloud store as failed and keeps running', async () => {
    const [creds] = await f.provision(['t-store'], 'f-store');
    const a = startAgent(creds!, {
      dataDir: join(work, 't-store'),
      model: bundleV1,
      trust: f.keys.publicKey,
      extra: { jobs: { retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 } } },
    });
    await warmedUp(a);
    const release = smallChunks('s2', 3e-3);
    const sid = release.envelope.manifest.sha256;
    const { release: stored } = await f.api.uploadRelease(encodeReleaseFile(release));
    // the cloud reads the payload file on the first chunk request: corrupt chunk 5 before that
    const file = join(f.dir, 'releases', `${sid}.bin`);
    const bytes = readFileSync(file);
    bytes[5 * 256 + 7]! ^= 0x01;
    writeFileSync(file, bytes);
    const rollout = (await f.api.startRollout({ release: stored.id, fleet: 'f-store', stages: [100] }))
      .rollout.id;
    const job = await f.waitForJob(rollout, 't-store', FINAL);
    expect(job.state).toBe('failed');
    expect(job.reason).toMatch(/chunk 5/);
    expect(gets.get('t-store')!.filter((i) => i === 5)).toHaveLength(3);
    expect(a.agent.slots.model.pointer().active).toBeNull();
    expect(a.agent.runner.current?.dir).toBe(bundleV1);
    const summary = await a.finish();
    expect(summary.steps).toBe(a.feed.written);
  });
});
