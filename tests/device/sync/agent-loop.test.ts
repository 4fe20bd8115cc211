/**
 * Closing the loop on the device: a library release installs, and a selection runs at once with
 * the new entries as extra candidates; its hunger records reach the cloud's store. Commands from
 * the cloud: reselect, τ reset, rebirth, rollback (the run restarts on the previous model slot).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SelectionRecord } from '../../../device/runtime/selection.js';
import { DeviceAgent } from '../../../device/sync/agent.js';
import { classicLibrary, makeLibrary } from '../../../shared/library/library.js';
import type { HybridModel } from '../../../shared/model/model.js';
import { createRelease, type Release } from '../../../shared/release/create.js';
import { BirthSchema, ReportedSchema } from '../../../shared/types/sync.js';
import { entriesOfEveryForm } from '../../helpers/models.js';
import { FLEET, type SyncFleet, startSyncFleet, waitFor } from './fleet.js';
import { baseModel, Feed, modelRelease, PI4, scaledReadout, writeModelBundle } from './models.js';

let fleet: SyncFleet;
let work: string;
let bundleV1: string;
let library: Release;
let m2: Release;
let m3: Release;
const extra = entriesOfEveryForm();

beforeAll(async () => {
  fleet = await startSyncFleet({ telemetry: true });
  work = mkdtempSync(join(tmpdir(), 'liquidkan-agent-loop-'));
  const base = baseModel();
  bundleV1 = writeModelBundle(join(work, 'v1'), base);
  library = createRelease({
    kind: 'library',
    library: makeLibrary([...classicLibrary().entries, ...extra], 2),
    key: fleet.keys.privateKey,
    chunkBytes: 4096,
  });
  m2 = modelRelease(
    writeModelBundle(join(work, 'v2'), scaledReadout(base, 1, 1e-3)),
    fleet.keys.privateKey,
    'm2',
  );
  m3 = modelRelease(
    writeModelBundle(join(work, 'v3'), scaledReadout(base, 1, 2e-3)),
    fleet.keys.privateKey,
    'm3',
  );
  for (const r of [library, m2, m3]) fleet.server.serve(r);
});
afterAll(async () => {
  await fleet.close();
  rmSync(work, { recursive: true, force: true });
});

function startAgent(id: string) {
  const creds = fleet.provision(id);
  const feed = new Feed().start();
  const logs: string[] = [];
  const selections: { record: SelectionRecord; searched: HybridModel }[] = [];
  const agent = new DeviceAgent({
    dataDir: join(work, id),
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
      selectBudgetMs: 300,
      emit: null,
      log: (l) => logs.push(l),
    },
    telemetryIntervalMs: 200,
    client: { reconnectPeriodMs: 100 },
    jobs: { chunkTimeoutMs: 1000, progressIntervalMs: 50 },
    observer: { onSelection: (record, _h, searched) => selections.push({ record, searched }) },
    log: (l) => logs.push(l),
  });
  agent.start();
  return { agent, feed, logs, selections, done: agent.run() };
}

describe('closing the loop on the device', () => {
  it('applies desired settings, keeps them across a restart and reports them', async () => {
    const r = startAgent('l-desired');
    await waitFor('running', () => r.agent.runner.current !== null);
    await fleet.server.desired(FLEET, 'l-desired', {
      settings: { telemetryIntervalMs: 500, adaptTau: true },
    });
    await waitFor('reported settings', () => {
      const s = fleet.server.reported.get('l-desired')?.settings;
      return s?.adaptTau === true && s['telemetryIntervalMs'] === 500;
    });
    expect(ReportedSchema.safeParse(fleet.server.reported.get('l-desired')).success).toBe(true);
    expect(BirthSchema.safeParse(fleet.server.births.get('l-desired')).success).toBe(true);
    await waitFor('restarted with τ adaptation', () => r.logs.some((l) => /desired adaptTau true/.test(l)));
    expect(r.agent.control.windowMs).toBe(500);
    expect(r.agent.state.settings).toEqual({ telemetryIntervalMs: 500, adaptTau: true });
    r.feed.end();
    await r.done;
    await r.agent.close();
  });

  it('reselects with a new library release as extra candidates and reports hunger', async () => {
    const r = startAgent('l-lib');
    await waitFor('buffered samples', () => (r.agent.runner.recent?.size ?? 0) >= 200);
    await fleet.server.notify(FLEET, 'l-lib', { jobId: 'job-lib', envelope: library.envelope });
    const final = await fleet.server.waitForFinal('job-lib');
    expect(final).toMatchObject({ state: 'succeeded', release: { kind: 'library', version: '2' } });
    expect(final.reason).toMatch(/entries finite on \[-1, 1\]/);
    await waitFor('a selection', () => r.selections.length === 1, 20_000);
    const { record, searched } = r.selections[0]!;
    const ids = searched.layers[0]!.selector.candidates;
    for (const e of extra) expect(ids).toContain(e.id);
    expect(record.skipped).toBeUndefined();
    expect(r.logs.join('\n')).toMatch(/reselecting with its entries as extra candidates/);
    await waitFor('reported library 2', () => fleet.server.reported.get('l-lib')?.libraryVersion === '2');

    const key = { fleet: FLEET, device: 'l-lib' };
    await waitFor('hunger stored', () => fleet.store!.count('hunger', key) >= searched.layers.length);
    const hunger = fleet.store!.records('hunger', key).map((h) => h.record);
    expect(hunger[0]).toMatchObject({
      layer: 0,
      entropy: expect.any(Number),
      hungry: expect.any(Boolean),
      bestSingle: record.layers[0]!.after,
      selectionStep: expect.any(Number),
    });

    // a reselect command runs another selection
    await fleet.server.cmd(FLEET, 'l-lib', 'reselect');
    await waitFor('a second selection', () => r.selections.length === 2, 20_000);
    await fleet.server.cmd(FLEET, 'l-lib', 'tau-reset');
    await waitFor('τ reset', () => r.logs.some((l) => /τ reset to the model's values/.test(l)));
    fleet.server.births.delete('l-lib');
    await fleet.server.cmd(FLEET, 'l-lib', 'rebirth');
    await waitFor('birth again', () => fleet.server.births.get('l-lib')?.['libraryVersion'] === '2');
    r.feed.end();
    const summary = await r.done;
    await r.agent.close();
    expect(summary.selections.length).toBe(2);
    expect(summary.steps).toBe(r.feed.written);
  });

  it('rolls back to the previous model on a rollback command and runs it', async () => {
    const r = startAgent('l-rollback');
    await waitFor('buffered samples', () => (r.agent.runner.recent?.size ?? 0) >= 100);
    for (const [job, rel] of [
      ['job-r2', m2],
      ['job-r3', m3],
    ] as const) {
      await fleet.server.notify(FLEET, 'l-rollback', { jobId: job, envelope: rel.envelope });
      expect((await fleet.server.waitForFinal(job)).state).toBe('succeeded');
    }
    await waitFor('running m3', () => r.agent.runner.current?.dir === r.agent.slots.model.activeDir());
    expect(r.agent.slots.model.pointer().active?.release.version).toBe('m3');
    await fleet.server.cmd(FLEET, 'l-rollback', 'rollback');
    await waitFor('reported m2', () => fleet.server.reported.get('l-rollback')?.modelVersion === 'm2');
    await waitFor('running m2', () => r.agent.runner.current?.dir === r.agent.slots.model.activeDir());
    // nothing intact behind m2: a second rollback is refused and m2 stays
    await fleet.server.cmd(FLEET, 'l-rollback', 'rollback');
    await waitFor('refused', () => r.logs.some((l) => /rollback refused: no intact previous slot/.test(l)));
    expect(r.agent.slots.model.pointer().active?.release.version).toBe('m2');
    r.feed.end();
    const summary = await r.done;
    await r.agent.close();
    expect(summary.steps).toBe(r.feed.written);
  });
});
