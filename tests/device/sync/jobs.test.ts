/**
 * Release jobs end to end over the embedded broker, with library releases (their health check
 * needs no inference engine): a job is verified, downloaded chunk by chunk, installed into the
 * inactive slot and reported; bad signatures, unknown keys and other profiles are refused and
 * reported; corrupt, missing and refused chunks are fetched again; a broker restart or a device
 * restart mid-transfer resumes where it stopped; a cancel stops the download; a failed health
 * check rolls back; a device killed during the install comes back on a working slot and reports;
 * nothing from the network is written outside the data directory.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncClient } from '../../../device/sync/client.js';
import { libraryHealthCheck } from '../../../device/sync/health.js';
import { JobRunner } from '../../../device/sync/jobs.js';
import { type HealthCheck, InstallSlots, type InstallStep } from '../../../device/sync/slots.js';
import { DeviceState } from '../../../device/sync/state.js';
import { classicLibrary, LIBRARY_FILE, makeLibrary } from '../../../shared/library/library.js';
import { chunkHashes, sha256Hex } from '../../../shared/release/chunks.js';
import { unpackRelease } from '../../../shared/release/container.js';
import { createRelease, type Release } from '../../../shared/release/create.js';
import { generateKeys, keyId } from '../../../shared/release/keys.js';
import { signManifest } from '../../../shared/release/sign.js';
import type { ReleaseManifest } from '../../../shared/types/release.js';
import { FLEET, type SyncFleet, startSyncFleet, waitFor } from './fleet.js';

let fleet: SyncFleet;
let release: Release;
const work = mkdtempSync(join(tmpdir(), 'liquidkan-jobs-'));

beforeAll(async () => {
  fleet = await startSyncFleet();
  release = createRelease({
    kind: 'library',
    library: 'classic',
    key: fleet.keys.privateKey,
    chunkBytes: 1024,
  });
  fleet.server.serve(release);
});
afterAll(async () => {
  await fleet.close();
  rmSync(work, { recursive: true, force: true });
});

interface Device {
  readonly id: string;
  readonly dataDir: string;
  readonly client: SyncClient;
  readonly jobs: JobRunner;
  readonly slots: { library: InstallSlots; model: InstallSlots };
  readonly state: DeviceState;
  readonly logs: string[];
  kill(): Promise<void>;
  stop(): Promise<void>;
}

function startDevice(
  id: string,
  o: {
    dataDir?: string;
    healthCheck?: HealthCheck;
    onInstallStep?: (s: InstallStep) => void | Promise<void>;
  } = {},
): Device {
  const creds = fleet.registry.getDevice(FLEET, id) ? credsOf.get(id)! : fleet.provision(id);
  credsOf.set(id, creds);
  const dataDir = o.dataDir ?? join(work, id);
  const state = new DeviceState(dataDir);
  const slots = {
    library: new InstallSlots(join(dataDir, 'library')),
    model: new InstallSlots(join(dataDir, 'model')),
  };
  const recovered = { library: slots.library.recover().outcome, model: slots.model.recover().outcome };
  const logs: string[] = [];
  const client = new SyncClient({
    credentials: creds,
    birth: () => ({
      runtime: { name: 'test', version: '0', engine: 'none' },
      profile: 'pi4',
      libraryVersion: null,
      modelVersion: null,
      boot: 1,
      at: new Date().toISOString(),
    }),
    reconnectPeriodMs: 100,
    log: (l) => logs.push(l),
  });
  const jobs = new JobRunner({
    dataDir,
    profile: 'pi4',
    trust: [fleet.keys.publicKey],
    transport: client,
    slots,
    state,
    healthCheck: () => o.healthCheck ?? libraryHealthCheck(),
    chunkTimeoutMs: 800,
    retry: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 6 },
    progressIntervalMs: 50,
    ...(o.onInstallStep ? { onInstallStep: o.onInstallStep } : {}),
    log: (l) => logs.push(l),
  });
  client.on('notify', (n) => jobs.handleNotify(n));
  client.on('connect', () => jobs.resendFinal());
  client.start();
  jobs.resume({
    ...(recovered.library ? { library: recovered.library } : {}),
    ...(recovered.model ? { model: recovered.model } : {}),
  });
  return {
    id,
    dataDir,
    client,
    jobs,
    slots,
    state,
    logs,
    async kill() {
      client.kill();
      await jobs.stop(0);
    },
    async stop() {
      await jobs.stop();
      await client.stop();
    },
  };
}
const credsOf = new Map<string, ReturnType<SyncFleet['provision']>>();

/** A library release of its own content: the first `n` classic entries, as version `v`. */
function libraryRelease(n: number, v: number): Release {
  const lib = makeLibrary(classicLibrary().entries.slice(0, n), v);
  return createRelease({ kind: 'library', library: lib, key: fleet.keys.privateKey, chunkBytes: 1024 });
}

const chunksOf = (device: string) =>
  fleet.server.requests.filter((r) => r.device === device).map((r) => r.chunk);

describe('release jobs', () => {
  it('verifies, downloads, installs and reports a release', async () => {
    const d = startDevice('j-full');
    await fleet.server.notify(FLEET, 'j-full', { jobId: 'job-full', envelope: release.envelope });
    const final = await fleet.server.waitForFinal('job-full');
    expect(final).toMatchObject({
      state: 'succeeded',
      rolloutId: 'r-job-full',
      release: { kind: 'library', version: '1', sha256: release.envelope.manifest.sha256 },
    });
    const states = fleet.server.states('job-full');
    expect(states[0]).toBe('accepted');
    expect(states).toContain('downloading');
    expect(states.at(-2)).toBe('installing');
    const progress = fleet.server.updates
      .filter((u) => u.update.jobId === 'job-full' && u.update.state === 'downloading')
      .map((u) => u.update.progress!);
    expect(progress.at(-1)).toEqual({
      done: release.envelope.manifest.chunks.length,
      total: release.envelope.manifest.chunks.length,
    });
    expect(chunksOf('j-full')).toEqual(release.envelope.manifest.chunks.map((_, i) => i));
    const dir = d.slots.library.activeDir()!;
    expect(new Uint8Array(readFileSync(join(dir, LIBRARY_FILE)))).toEqual(
      unpackRelease(release.payload)[LIBRARY_FILE],
    );
    expect(d.slots.library.pointer()).toMatchObject({ trial: false, active: { release: { version: '1' } } });
    await waitFor('the final update acknowledged', () => d.state.lastJob?.acked === true);
    expect(existsSync(join(d.dataDir, 'job.json'))).toBe(false);

    // the same notify again (a reconnect, or a new leader asking) installs nothing and gets the
    // final update again (a cloud process killed after the PUBACK lost it); a new job of the same
    // release is done at once
    const before = fleet.server.updates.length;
    await fleet.server.notify(FLEET, 'j-full', { jobId: 'job-full', envelope: release.envelope });
    await waitFor('the final update again', () => fleet.server.updates.length === before + 1);
    expect(fleet.server.updates.at(-1)!.update).toMatchObject({ jobId: 'job-full', state: 'succeeded' });
    await fleet.server.notify(FLEET, 'j-full', { jobId: 'job-again', envelope: release.envelope });
    const again = await fleet.server.waitForFinal('job-again');
    expect(again.state).toBe('succeeded');
    expect(again.reason).toMatch(/already installed/);
    expect(fleet.server.updates.length).toBe(before + 2);
    await d.stop();
  });

  it('rejects a tampered manifest, an unknown key and another profile, and does nothing else', async () => {
    const d = startDevice('j-bad');
    const m = release.envelope.manifest;
    const tampered = { manifest: { ...m, version: '2' }, signature: release.envelope.signature };
    await fleet.server.notify(FLEET, 'j-bad', { jobId: 'job-tampered', envelope: tampered });
    expect((await fleet.server.waitForFinal('job-tampered')).reason).toMatch(/signature does not verify/);

    const other = generateKeys();
    const foreign = createRelease({
      kind: 'library',
      library: 'classic',
      key: other.privateKey,
      chunkBytes: 1024,
    });
    await fleet.server.notify(FLEET, 'j-bad', { jobId: 'job-foreign', envelope: foreign.envelope });
    expect((await fleet.server.waitForFinal('job-foreign')).reason).toMatch(
      new RegExp(`unknown key ${keyId(other.publicKey)}`),
    );

    const jetson = createRelease({
      kind: 'library',
      library: 'classic',
      key: fleet.keys.privateKey,
      chunkBytes: 1024,
      profiles: ['jetson-nano'],
    });
    await fleet.server.notify(FLEET, 'j-bad', { jobId: 'job-profile', envelope: jetson.envelope });
    expect((await fleet.server.waitForFinal('job-profile')).reason).toMatch(
      /jetson-nano; this device runs pi4/,
    );

    await fleet.server.notify(FLEET, 'j-bad', {
      jobId: 'job-stream',
      envelope: release.envelope,
      streamId: 'f'.repeat(64),
    });
    expect((await fleet.server.waitForFinal('job-stream')).reason).toMatch(/stream id/);

    for (const job of ['job-tampered', 'job-foreign', 'job-profile', 'job-stream']) {
      expect(fleet.server.states(job)).toEqual(['rejected']);
    }
    expect(chunksOf('j-bad')).toEqual([]);
    expect(existsSync(join(d.dataDir, 'downloads'))).toBe(false);
    expect(d.slots.library.pointer().active).toBeNull();
    await d.stop();
  });

  it('fetches a corrupt, a garbled, a refused and an unanswered chunk again', async () => {
    const d = startDevice('j-faults');
    const f = fleet.server.faults;
    f.corrupt.add(1);
    f.corruptFrame.add(3);
    f.error.add(5);
    f.drop.add(7);
    await fleet.server.notify(FLEET, 'j-faults', { jobId: 'job-faults', envelope: release.envelope });
    expect((await fleet.server.waitForFinal('job-faults')).state).toBe('succeeded');
    const asked = chunksOf('j-faults');
    for (const i of [1, 3, 5, 7]) expect(asked.filter((c) => c === i)).toHaveLength(2);
    expect(asked.filter((c) => c === 2)).toHaveLength(1);
    expect(d.logs.join('\n')).not.toMatch(/failed/);
    await d.stop();
  });

  it('resumes a download across a broker restart', async () => {
    const d = startDevice('j-broker');
    fleet.server.faults.pauseFrom = 6;
    await fleet.server.notify(FLEET, 'j-broker', { jobId: 'job-broker', envelope: release.envelope });
    await waitFor('chunk 6 asked for', () => chunksOf('j-broker').includes(6));
    await fleet.restartBroker(300);
    fleet.server.faults.pauseFrom = null;
    const final = await fleet.server.waitForFinal('job-broker', 20_000);
    expect(final.state).toBe('succeeded');
    const asked = chunksOf('j-broker');
    for (let i = 0; i < 6; i++) expect(asked.filter((c) => c === i)).toHaveLength(1);
    await d.stop();
  });

  it('resumes a download after the device restarts, from the chunks it holds', async () => {
    const a = startDevice('j-restart');
    fleet.server.faults.pauseFrom = 8;
    await fleet.server.notify(FLEET, 'j-restart', { jobId: 'job-restart', envelope: release.envelope });
    await waitFor('chunk 8 asked for', () => chunksOf('j-restart').includes(8));
    await a.kill();
    expect(JSON.parse(readFileSync(join(a.dataDir, 'job.json'), 'utf8'))).toMatchObject({
      jobId: 'job-restart',
      phase: 'downloading',
    });
    fleet.server.faults.pauseFrom = null;
    const seen = fleet.server.requests.length;
    const b = startDevice('j-restart', { dataDir: a.dataDir });
    expect((await fleet.server.waitForFinal('job-restart')).state).toBe('succeeded');
    const afterRestart = fleet.server.requests
      .slice(seen)
      .filter((r) => r.device === 'j-restart')
      .map((r) => r.chunk);
    expect(afterRestart[0]).toBe(8);
    expect(b.logs.join('\n')).toMatch(/resuming the download at chunk 8/);
    await b.stop();
  });

  it('stops a download when the job is cancelled', async () => {
    const d = startDevice('j-cancel');
    fleet.server.faults.pauseFrom = 2;
    await fleet.server.notify(FLEET, 'j-cancel', { jobId: 'job-cancel', envelope: release.envelope });
    await waitFor('chunk 2 asked for', () => chunksOf('j-cancel').includes(2));
    await fleet.server.notify(FLEET, 'j-cancel', {
      jobId: 'job-cancel',
      envelope: release.envelope,
      cancelled: true,
    });
    const final = await fleet.server.waitForFinal('job-cancel');
    fleet.server.faults.pauseFrom = null;
    expect(final).toMatchObject({ state: 'cancelled', reason: 'cancelled by the cloud' });
    expect(readdirSync(join(d.dataDir, 'downloads'))).toEqual([]);
    expect(existsSync(join(d.dataDir, 'job.json'))).toBe(false);
    expect(d.slots.library.pointer().active).toBeNull();
    await d.stop();
  });

  it('rolls back when the health check fails', async () => {
    const d = startDevice('j-health', { healthCheck: () => ({ ok: false, reason: 'entry 3 is NaN at 0' }) });
    await fleet.server.notify(FLEET, 'j-health', { jobId: 'job-health', envelope: release.envelope });
    const final = await fleet.server.waitForFinal('job-health');
    expect(final.state).toBe('rolled-back');
    expect(final.reason).toMatch(/entry 3 is NaN at 0; back on no slot/);
    expect(d.slots.library.pointer()).toMatchObject({ active: null, trial: false });
    await d.stop();
  });

  it('comes back on a working slot after being killed during the install, and reports', async () => {
    // a first release installed and confirmed
    const a = startDevice('j-kill');
    await fleet.server.notify(FLEET, 'j-kill', { jobId: 'job-kill-1', envelope: release.envelope });
    expect((await fleet.server.waitForFinal('job-kill-1')).state).toBe('succeeded');
    await a.stop();

    const v2 = libraryRelease(6, 2);
    fleet.server.serve(v2);
    let reached = false;
    const b = startDevice('j-kill', {
      dataDir: a.dataDir,
      onInstallStep: async (step) => {
        if (step !== 'activated') return;
        reached = true;
        await new Promise(() => {}); // the process "dies" here, on trial
      },
    });
    await fleet.server.notify(FLEET, 'j-kill', { jobId: 'job-kill-2', envelope: v2.envelope });
    await waitFor('the install on trial', () => reached);
    expect(b.slots.library.pointer()).toMatchObject({ trial: true, active: { release: { version: '2' } } });
    await b.kill();

    const c = startDevice('j-kill', { dataDir: a.dataDir });
    const final = await fleet.server.waitForFinal('job-kill-2');
    expect(final.state).toBe('rolled-back');
    expect(final.reason).toMatch(/restarted before slot b \(2\) passed its health check/);
    expect(c.slots.library.pointer()).toMatchObject({ trial: false, active: { release: { version: '1' } } });
    await c.stop();
  });

  it('downloads again when killed before the switch, and finishes the install', async () => {
    const v3 = libraryRelease(5, 3);
    fleet.server.serve(v3);
    let reached = false;
    const a = startDevice('j-unpack', {
      onInstallStep: async (step) => {
        if (step !== 'unpacked') return;
        reached = true;
        await new Promise(() => {});
      },
    });
    await fleet.server.notify(FLEET, 'j-unpack', { jobId: 'job-unpack', envelope: v3.envelope });
    await waitFor('unpacked', () => reached);
    await a.kill();
    const b = startDevice('j-unpack', { dataDir: a.dataDir });
    const final = await fleet.server.waitForFinal('job-unpack');
    expect(final.state).toBe('succeeded');
    expect(b.slots.library.pointer().active?.release.version).toBe('3');
    await b.stop();
  });

  it('never writes a file from the network outside the data directory', async () => {
    // a validly signed payload whose container names a file '../escape.txt'
    const name = Buffer.from('../escape.txt');
    const body = Buffer.from('pwned');
    const payload = Buffer.alloc(8 + 2 + name.length + 4 + body.length);
    payload.write('LKP1', 0, 'ascii');
    payload.writeUInt32LE(1, 4);
    payload.writeUInt16LE(name.length, 8);
    name.copy(payload, 10);
    payload.writeUInt32LE(body.length, 10 + name.length);
    body.copy(payload, 14 + name.length);
    const sha256 = sha256Hex(payload);
    const manifest: ReleaseManifest = {
      format: 'liquidkan-release',
      formatVersion: 1,
      kind: 'library',
      version: 'evil',
      sha256,
      size: payload.length,
      chunkBytes: 1024,
      chunks: chunkHashes(payload, 1024),
      profiles: ['pi4'],
      createdAt: new Date().toISOString(),
      keyId: keyId(fleet.keys.privateKey),
    };
    const evil: Release = {
      envelope: signManifest(manifest, fleet.keys.privateKey),
      payload: new Uint8Array(payload),
    };
    fleet.server.serve(evil);
    const d = startDevice('j-evil');
    await fleet.server.notify(FLEET, 'j-evil', { jobId: 'job-evil', envelope: evil.envelope });
    const final = await fleet.server.waitForFinal('job-evil');
    expect(final.state).toBe('failed');
    expect(final.reason).toMatch(/'\.\.\/escape\.txt' must be one path segment/);
    for (const dir of [d.dataDir, join(d.dataDir, 'library'), join(d.dataDir, 'library', 'slots'), work]) {
      expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
    }
    expect(d.slots.library.pointer().active).toBeNull();
    await d.stop();
  });

  // issue 16 item 4: after library v2, the validly signed v1 published again was installed
  it('refuses an older release, across restarts and slot switches, unless a downgrade is signed or allowed', async () => {
    const v1 = libraryRelease(3, 1);
    const v2 = libraryRelease(4, 2);
    for (const r of [v1, v2]) fleet.server.serve(r);
    let d = startDevice('j-rollback');
    await fleet.server.notify(FLEET, 'j-rollback', { jobId: 'rb-v1', envelope: v1.envelope });
    expect((await fleet.server.waitForFinal('rb-v1')).state).toBe('succeeded');
    await fleet.server.notify(FLEET, 'j-rollback', { jobId: 'rb-v2', envelope: v2.envelope });
    expect((await fleet.server.waitForFinal('rb-v2')).state).toBe('succeeded');
    expect(d.state.newest('library')).toEqual({ version: '2', createdAt: v2.envelope.manifest.createdAt });

    // the attack: v1 again, validly signed; and after a restart
    await fleet.server.notify(FLEET, 'j-rollback', { jobId: 'rb-v1-again', envelope: v1.envelope });
    const refused = await fleet.server.waitForFinal('rb-v1-again');
    expect(refused).toMatchObject({
      state: 'rejected',
      reason: expect.stringMatching(/older than 2.*rollback protection/),
    });
    await d.stop();
    d = startDevice('j-rollback');
    await fleet.server.notify(FLEET, 'j-rollback', { jobId: 'rb-v1-restart', envelope: v1.envelope });
    expect((await fleet.server.waitForFinal('rb-v1-restart')).state).toBe('rejected');
    expect(d.slots.library.pointer().active?.release.version).toBe('2');

    // the operator's --allow-downgrade lets it through; the newest seen stays v2
    await fleet.server.notify(FLEET, 'j-rollback', {
      jobId: 'rb-v1-allowed',
      envelope: v1.envelope,
      allowDowngrade: true,
    });
    expect((await fleet.server.waitForFinal('rb-v1-allowed')).state).toBe('succeeded');
    expect(d.slots.library.pointer().active?.release.version).toBe('1');
    expect(d.state.newest('library')?.version).toBe('2');

    // a slot switch back does not lower it either, and a signed downgrade marker is honoured
    await fleet.server.notify(FLEET, 'j-rollback', { jobId: 'rb-v2-back', envelope: v2.envelope });
    expect((await fleet.server.waitForFinal('rb-v2-back')).state).toBe('succeeded');
    const v0 = createRelease({
      kind: 'library',
      library: makeLibrary(classicLibrary().entries.slice(0, 2), 1),
      key: fleet.keys.privateKey,
      chunkBytes: 1024,
      version: '0.9',
      downgrade: true,
    });
    fleet.server.serve(v0);
    await fleet.server.notify(FLEET, 'j-rollback', { jobId: 'rb-v0-signed', envelope: v0.envelope });
    expect((await fleet.server.waitForFinal('rb-v0-signed')).state).toBe('succeeded');
    expect(d.state.newest('library')?.version).toBe('2');
    await d.stop();
  });
});
