/**
 * The device agent with real models on the real engine, over the embedded broker: a model
 * release installs and the run goes on, on the new model, without losing a sample; a model much
 * worse on the buffered samples is rolled back; a device killed during the install comes back on
 * its working slot and reports; telemetry reaches the cloud's store; commands act.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceAgent, type DeviceAgentOptions } from '../../../device/sync/agent.js';
import type { InstallStep } from '../../../device/sync/slots.js';
import type { Release } from '../../../shared/release/create.js';
import { FLEET, type SyncFleet, startSyncFleet, waitFor } from './fleet.js';
import { baseModel, Feed, modelRelease, PI4, scaledReadout, writeModelBundle } from './models.js';

let fleet: SyncFleet;
let work: string;
let bundleV1: string;
let m2: Release;
let bad: Release;

beforeAll(async () => {
  fleet = await startSyncFleet({ telemetry: true });
  work = mkdtempSync(join(tmpdir(), 'liquidkan-agent-'));
  const base = baseModel();
  bundleV1 = writeModelBundle(join(work, 'v1'), base);
  m2 = modelRelease(
    writeModelBundle(join(work, 'v2'), scaledReadout(base, 1, 1e-3)),
    fleet.keys.privateKey,
    'm2',
  );
  bad = modelRelease(
    writeModelBundle(join(work, 'bad'), scaledReadout(base, 200, 3)),
    fleet.keys.privateKey,
    'bad',
  );
  fleet.server.serve(m2);
  fleet.server.serve(bad);
});
afterAll(async () => {
  await fleet.close();
  rmSync(work, { recursive: true, force: true });
});

interface Running {
  agent: DeviceAgent;
  feed: Feed;
  logs: string[];
  done: ReturnType<DeviceAgent['run']>;
}

function startAgent(
  id: string,
  o: {
    dataDir?: string;
    onInstallStep?: (s: InstallStep) => void | Promise<void>;
    extra?: Partial<DeviceAgentOptions>;
  } = {},
): Running {
  const creds = fleet.registry.getDevice(FLEET, id) ? creds_.get(id)! : fleet.provision(id);
  creds_.set(id, creds);
  const feed = new Feed().start();
  const logs: string[] = [];
  const agent = new DeviceAgent({
    dataDir: o.dataDir ?? join(work, id),
    credentials: creds,
    trust: [fleet.keys.publicKey],
    run: {
      model: bundleV1,
      profile: PI4,
      input: '-',
      stdin: feed.stream,
      format: 'jsonl',
      threads: 1,
      latencyCheck: false,
      emit: null,
      log: (l) => logs.push(l),
    },
    telemetryIntervalMs: 150,
    client: { reconnectPeriodMs: 100 },
    jobs: {
      chunkTimeoutMs: 1000,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
      progressIntervalMs: 50,
      ...(o.onInstallStep ? { onInstallStep: o.onInstallStep } : {}),
    },
    log: (l) => logs.push(l),
    ...o.extra,
  });
  agent.start();
  return { agent, feed, logs, done: agent.run() };
}
const creds_ = new Map<string, ReturnType<SyncFleet['provision']>>();

async function finish(r: Running) {
  r.feed.end();
  const summary = await r.done;
  await r.agent.close();
  return summary;
}

describe('device agent', () => {
  it('installs a model release and runs on it without losing a sample', async () => {
    const r = startAgent('a-install');
    await waitFor('birth', () => fleet.server.births.get('a-install')?.['runtime'] !== undefined);
    await waitFor('the run on v1', () => r.agent.runner.current?.dir === bundleV1);
    await waitFor('a few hundred samples', () => (r.agent.runner.recent?.size ?? 0) >= 200);
    await fleet.server.notify(FLEET, 'a-install', { jobId: 'job-m2', envelope: m2.envelope });
    const final = await fleet.server.waitForFinal('job-m2');
    expect(final.state).toBe('succeeded');
    expect(final.reason).toMatch(/MSE .* on the buffered samples/);
    const slotDir = r.agent.slots.model.activeDir()!;
    await waitFor('the run on m2', () => r.agent.runner.current?.dir === slotDir);
    await waitFor('reported m2', () => fleet.server.reported.get('a-install')?.modelVersion === 'm2');
    expect(fleet.server.reported.get('a-install')).toMatchObject({
      profile: 'pi4',
      active: { model: { kind: 'model', version: 'm2' }, library: null },
      lastJob: { jobId: 'job-m2', state: 'succeeded' },
    });
    const fed = r.feed.written;
    await waitFor('more samples on m2', () => r.agent.runner.stepOffset > 0 && r.feed.written > fed + 100);
    const summary = await finish(r);
    expect(summary.steps).toBe(r.feed.written);
    expect(summary.skipped_samples.total).toBe(0);
    // telemetry arrived in the cloud's store
    await waitFor(
      'perf telemetry stored',
      () => fleet.store!.count('perf', { fleet: FLEET, device: 'a-install' }) > 2,
    );
    const perf = fleet.store!.records('perf', { fleet: FLEET, device: 'a-install' });
    expect(perf[0]!.record).toMatchObject({
      engine: expect.stringMatching(/^(js|native)$/),
      budgetUs: 150,
      p50Us: expect.any(Number),
      steps: expect.any(Number),
    });
    expect(perf.some((p) => p.record['modelVersion'] === 'm2')).toBe(true);
    await waitFor('offline', () => fleet.server.status.get('a-install') === 'offline');
  });

  it('rolls back a model that is much worse on the buffered samples and keeps running', async () => {
    const r = startAgent('a-bad');
    await waitFor('buffered samples', () => (r.agent.runner.recent?.size ?? 0) >= 100);
    await fleet.server.notify(FLEET, 'a-bad', { jobId: 'job-bad', envelope: bad.envelope });
    const final = await fleet.server.waitForFinal('job-bad');
    expect(final.state).toBe('rolled-back');
    expect(final.reason).toMatch(/over 2× the running model's error; back on no slot/);
    expect(r.agent.runner.current?.dir).toBe(bundleV1);
    expect(r.agent.slots.model.pointer().active).toBeNull();
    const summary = await finish(r);
    expect(summary.steps).toBe(r.feed.written);
  });

  it('comes back on its working slot after being killed during an install, and reports', async () => {
    const dataDir = join(work, 'a-kill');
    const a = startAgent('a-kill', { dataDir });
    await waitFor('buffered samples', () => (a.agent.runner.recent?.size ?? 0) >= 100);
    await fleet.server.notify(FLEET, 'a-kill', { jobId: 'job-k1', envelope: m2.envelope });
    expect((await fleet.server.waitForFinal('job-k1')).state).toBe('succeeded');
    await finish(a);

    let reached = false;
    const b = startAgent('a-kill', {
      dataDir,
      onInstallStep: async (step) => {
        if (step !== 'activated') return;
        reached = true;
        await new Promise(() => {});
      },
    });
    await waitFor('buffered samples', () => (b.agent.runner.recent?.size ?? 0) >= 50);
    await fleet.server.notify(FLEET, 'a-kill', { jobId: 'job-k2', envelope: bad.envelope });
    await waitFor('the bad model on trial', () => reached);
    b.agent.kill();
    b.feed.end();
    await b.done.catch(() => {});
    await waitFor('lost', () => fleet.server.status.get('a-kill') === 'lost');

    const c = startAgent('a-kill', { dataDir });
    const final = await fleet.server.waitForFinal('job-k2');
    expect(final.state).toBe('rolled-back');
    expect(final.reason).toMatch(/restarted before slot . \(bad\) passed its health check/);
    await waitFor(
      'the run on m2 again',
      () => c.agent.runner.current?.dir === c.agent.slots.model.activeDir(),
    );
    expect(c.agent.slots.model.pointer().active?.release.version).toBe('m2');
    await waitFor('reported', () => fleet.server.reported.get('a-kill')?.lastJob?.jobId === 'job-k2');
    expect(fleet.server.births.get('a-kill')?.['boot']).toBe(3);
    await finish(c);
  });
});
