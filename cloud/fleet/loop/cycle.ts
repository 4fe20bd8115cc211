/**
 * One turn of the loop for one fleet and layer whose hunger persisted:
 *
 *   1. pool the hungry records' samples (u, φ) into a discovery job
 *   2. run discovery on it (discovery-runner.ts: a child process here, or a queued job that a
 *      `liquidkan worker` runs), growing the current library
 *   3. install the result as the new library version (DATA/library/v{N}, or loop_libraries)
 *   4. sign a library release (DATA/loop/releases/) and hand it to the release service
 *
 * Every failure becomes the cycle's outcome with the stage it happened at; nothing throws out
 * of here except a shutdown (AbortedError), which leaves no record so the cycle runs again.
 * A cycle whose discovery was queued by another leader is finished by resumeCycle.
 */
import type { KeyObject } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type ActivationLibrary, classicLibrary, saveLibrary } from '../../../shared/library/library.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { createRelease } from '../../../shared/release/create.js';
import { writeReleaseFile } from '../../../shared/release/release-file.js';
import { type DiscoveryJob, JOB_FORMAT } from '../../train/hunger.js';
import type { FleetEvents } from '../events.js';
import type { HungerQueryApi, LibraryVersionsApi } from '../store/types.js';
import { type PooledSamples, poolSamples } from './aggregate.js';
import type { DiscoveryOutput, DiscoveryRunner } from './discovery-runner.js';
import type { LoopMemory } from './history.js';
import { groupKey } from './history.js';
import { AbortedError, type DiscoverySummary } from './run-discovery.js';
import { closestEntry, curveShape, hungerDistance, naturalRelRms } from './shape-fit.js';
import type { CycleRecord, CycleStage, DiscoverySettings, EntryFit, HungerThresholds } from './types.js';

export interface CycleContext {
  readonly dataDir: string;
  readonly query: HungerQueryApi;
  readonly libraries: LibraryVersionsApi;
  readonly runner: DiscoveryRunner;
  readonly events: FleetEvents;
  readonly thresholds: HungerThresholds;
  readonly discovery: DiscoverySettings;
  readonly seed: number;
  /** Signs releases; absent (with publish) where there is no release service to hand them to. */
  readonly key: KeyObject | null;
  readonly memory: LoopMemory;
  /** Absent: the cycle ends once the new library is installed (outcome 'installed'). */
  readonly publish: ((releaseFile: string, fleet: string) => Promise<void>) | null;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  readonly now: () => number;
}

class StageError extends Error {
  constructor(
    readonly stage: CycleStage,
    message: string,
  ) {
    super(message);
  }
}

async function stage<T>(name: CycleStage, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AbortedError || err instanceof StageError) throw err;
    throw new StageError(name, err instanceof Error ? err.message : String(err));
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a queued cycle keeps with its job, so whichever leader sees the job done can finish it. */
export interface CycleState {
  readonly record: CycleRecord;
  readonly pool: PooledSamples;
}

/** Runs one cycle; null when it was stopped by shutdown. */
export async function runCycle(
  ctx: CycleContext,
  id: string,
  fleet: string,
  layer: number,
): Promise<CycleRecord | null> {
  const startedMs = ctx.now();
  const t = ctx.thresholds;
  const afterMs = Math.max(
    startedMs - t.windowMs,
    ctx.memory.handledUntilMs.get(groupKey(fleet, layer)) ?? -Infinity,
  );
  const rows = await ctx.query.hungryRows(fleet, layer, afterMs, startedMs, t.gap, ctx.discovery.maxRecords);
  const pool = poolSamples(rows, ctx.discovery.maxSamples, new Rng(ctx.seed).fork(`pool:${fleet}:L${layer}`));
  const rec: Mutable<CycleRecord> = {
    id,
    fleet,
    layer,
    startedMs,
    finishedMs: startedMs,
    trigger: {
      hungryRecords: pool.records,
      devices: pool.devices,
      firstMs: rows.length > 0 ? rows.at(-1)!.receivedMs : startedMs,
      lastMs: rows.length > 0 ? rows[0]!.receivedMs : startedMs,
      meanGap: pool.meanGap,
      meanEntropy: pool.meanEntropy,
      samples: pool.u.length,
    },
    job: null,
    parent: null,
    discovery: null,
    library: null,
    release: null,
    published: false,
    outcome: 'failed',
    error: null,
  };
  const work = join(ctx.dataDir, 'loop', 'work', id);
  return guarded(ctx, rec, work, async () => {
    await stage('samples', () => checkSamples(pool, ctx.discovery.minSamples));
    const current = await stage('library', () => ctx.libraries.current());
    const parent = current ?? classicLibrary();
    rec.parent = { version: parent.version, hash: parent.hash };
    const began = Date.now();
    const found = await stage('discovery', () =>
      ctx.runner.run(
        {
          cycle: { id, fleet, layer },
          job: makeJob(fleet, layer, ctx.seed, parent, pool),
          parent: current,
          seed: ctx.seed,
          steps: ctx.discovery.steps,
          grid: ctx.discovery.grid,
          timeoutMs: ctx.discovery.timeoutMs,
          workDir: work,
          state: { record: rec, pool } satisfies CycleState,
          signal: ctx.signal,
        },
        (where) => {
          rec.job = where;
        },
      ),
    );
    return afterDiscovery(ctx, rec, work, found, parent, current !== null, pool, Date.now() - began);
  });
}

/**
 * Finishes a cycle whose discovery another process queued (the leader that queued it died or
 * stepped down): `state` is what it kept with the job, `wait` brings the job's result.
 */
export async function resumeCycle(
  ctx: CycleContext,
  state: CycleState,
  parent: ActivationLibrary | null,
  wait: () => Promise<DiscoveryOutput>,
): Promise<CycleRecord | null> {
  const rec: Mutable<CycleRecord> = { ...state.record };
  const work = join(ctx.dataDir, 'loop', 'work', rec.id);
  return guarded(ctx, rec, work, async () => {
    const began = Date.now();
    const found = await stage('discovery', wait);
    const p = parent ?? classicLibrary();
    return afterDiscovery(ctx, rec, work, found, p, parent !== null, state.pool, Date.now() - began);
  });
}

async function guarded(
  ctx: CycleContext,
  rec: Mutable<CycleRecord>,
  work: string,
  body: () => Promise<CycleRecord>,
): Promise<CycleRecord | null> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof AbortedError) {
      rmSync(work, { recursive: true, force: true });
      return null;
    }
    const e = err as StageError;
    rec.error = { stage: e.stage ?? 'discovery', message: e.message };
    return finish(ctx, rec, work);
  }
}

async function afterDiscovery(
  ctx: CycleContext,
  rec: Mutable<CycleRecord>,
  work: string,
  found: DiscoveryOutput,
  parent: ActivationLibrary,
  parentInstalled: boolean,
  pool: PooledSamples,
  wallMs: number,
): Promise<CycleRecord> {
  const grown = found.library;
  rec.discovery = describeDiscovery(found.summary, grown, parent, pool, wallMs);

  let release: ActivationLibrary;
  if (rec.discovery.added.length > 0) {
    const installed = await stage('install', () => ctx.libraries.install(grown));
    rec.library = { version: installed.version, dir: installed.where };
    ctx.events.publish({ type: 'library', version: String(installed.version) });
    release = grown;
  } else if (
    parentInstalled &&
    ctx.publish &&
    ctx.memory.publishedVersion.get(rec.fleet) !== parent.version
  ) {
    release = parent;
  } else {
    rec.outcome = 'nothing-new';
    return finish(ctx, rec, work);
  }
  if (!ctx.publish || !ctx.key) {
    rec.outcome = 'installed';
    return finish(ctx, rec, work);
  }
  const { key, publish } = { key: ctx.key, publish: ctx.publish };

  const file = join(ctx.dataDir, 'loop', 'releases', `library-v${release.version}.lkr`);
  const manifest = await stage('release', () => {
    const dir = join(work, 'release');
    mkdirSync(dir, { recursive: true });
    saveLibrary(dir, release);
    const r = createRelease({ kind: 'library', dir, key, now: new Date(ctx.now()) });
    writeReleaseFile(file, r);
    return r.envelope.manifest;
  });
  rec.release = {
    file: relative(ctx.dataDir, file),
    version: manifest.version,
    sha256: manifest.sha256,
    keyId: manifest.keyId,
  };
  await stage('publish', () => publish(file, rec.fleet));
  rec.published = true;
  rec.outcome = rec.discovery.added.length > 0 ? 'released' : 'republished';
  return finish(ctx, rec, work);
}

function finish(ctx: CycleContext, rec: Mutable<CycleRecord>, work: string): CycleRecord {
  rmSync(work, { recursive: true, force: true });
  rec.finishedMs = ctx.now();
  const what = rec.error
    ? `failed at ${rec.error.stage}: ${rec.error.message}`
    : `${rec.outcome}${rec.release ? ` library v${rec.release.version}` : ''}`;
  ctx.log(`loop ${rec.id} ${rec.fleet} L${rec.layer}: ${what}`);
  return rec;
}

function checkSamples(pool: PooledSamples, minSamples: number): void {
  if (pool.u.length < Math.max(minSamples, 10)) {
    throw new Error(`${pool.u.length} pooled samples (at least ${Math.max(minSamples, 10)} needed)`);
  }
  if (!(pool.u.at(-1)! > pool.u[0]!)) throw new Error(`every pooled u equals ${pool.u[0]}`);
}

function makeJob(
  fleet: string,
  layer: number,
  seed: number,
  parent: ActivationLibrary,
  pool: PooledSamples,
): DiscoveryJob {
  return {
    format: JOB_FORMAT,
    formatVersion: 1,
    task: `fleet-${fleet}`,
    layer,
    seed,
    library: { version: parent.version, hash: parent.hash },
    reason: { entropy: pool.meanEntropy, gap: pool.meanGap ?? 0, bestSingle: pool.bestSingle },
    samples: { u: pool.u, phi: pool.phi },
  };
}

function describeDiscovery(
  summary: DiscoverySummary,
  grown: ActivationLibrary,
  parent: ActivationLibrary,
  pool: PooledSamples,
  wallMs: number,
): NonNullable<CycleRecord['discovery']> {
  const target = curveShape(pool);
  const ids = new Set(summary.entries_added.map((e) => e.id));
  const added: EntryFit[] = grown.entries
    .filter((e) => ids.has(e.id))
    .map((e) => ({
      id: e.id,
      name: e.name,
      form: e.form,
      extractRms: e.meta.fitError.rms,
      hungerDistance: hungerDistance(target, e),
      naturalRelRms: naturalRelRms(pool, e),
    }));
  return {
    version: grown.version,
    hash: grown.hash,
    testRmse: summary.test_rmse,
    formula: summary.formula,
    wallMs,
    added,
    bestParent: closestEntry(target, parent.entries),
  };
}
