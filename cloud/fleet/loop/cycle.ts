/**
 * One turn of the loop for one fleet and layer whose hunger persisted:
 *
 *   1. pool the hungry records' samples (u, φ) and write a discovery job (DATA/loop/jobs/)
 *   2. run discovery on it in a child process, growing the current library
 *   3. install the result as DATA/library/v{N} and point DATA/library/current at it
 *   4. sign a library release (DATA/loop/releases/) and hand it to the release service
 *
 * Every failure becomes the cycle's outcome with the stage it happened at; nothing throws out
 * of here except a shutdown (AbortedError), which leaves no record so the cycle runs again.
 */
import type { KeyObject } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type ActivationLibrary, loadLibrary } from '../../../shared/library/library.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { createRelease } from '../../../shared/release/create.js';
import { writeReleaseFile } from '../../../shared/release/release-file.js';
import { type DiscoveryJob, JOB_FORMAT, writeDiscoveryJob } from '../../train/hunger.js';
import type { FleetEvents } from '../events.js';
import { type PooledSamples, poolSamples } from './aggregate.js';
import type { LoopMemory } from './history.js';
import { groupKey } from './history.js';
import type { HungerQuery } from './hunger-query.js';
import { installLibraryVersion } from './library-store.js';
import { AbortedError, type DiscoverySummary, runDiscovery } from './run-discovery.js';
import { closestEntry, curveShape, hungerDistance, naturalRelRms } from './shape-fit.js';
import type { CycleRecord, CycleStage, DiscoverySettings, EntryFit, HungerThresholds } from './types.js';

export interface CycleContext {
  readonly dataDir: string;
  readonly query: HungerQuery;
  readonly events: FleetEvents;
  readonly thresholds: HungerThresholds;
  readonly discovery: DiscoverySettings;
  readonly seed: number;
  readonly key: KeyObject;
  readonly memory: LoopMemory;
  parentRef(): string;
  publish(releaseFile: string, fleet: string): Promise<void>;
  readonly cli?: { readonly node: string; readonly script: string };
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
  const rows = ctx.query.hungryRows(fleet, layer, afterMs, startedMs, t.gap, ctx.discovery.maxRecords);
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
  try {
    await stage('samples', () => checkSamples(pool, ctx.discovery.minSamples));
    const parentRef = ctx.parentRef();
    const parent = await stage('library', () => loadLibrary(parentRef));
    rec.parent = { version: parent.version, hash: parent.hash };
    const jobFile = join(ctx.dataDir, 'loop', 'jobs', `${id}-${fleet}-L${layer}.json`);
    await stage('samples', () => writeDiscoveryJob(jobFile, makeJob(fleet, layer, ctx.seed, parent, pool)));
    rec.job = relative(ctx.dataDir, jobFile);

    const began = Date.now();
    const out = join(work, 'library');
    const summary = await stage('discovery', () =>
      runDiscovery({
        job: jobFile,
        library: parentRef,
        out,
        seed: ctx.seed,
        steps: ctx.discovery.steps,
        grid: ctx.discovery.grid,
        timeoutMs: ctx.discovery.timeoutMs,
        signal: ctx.signal,
        ...(ctx.cli ? { cli: ctx.cli } : {}),
      }),
    );
    const grown = await stage('discovery', () => loadLibrary(out));
    rec.discovery = describeDiscovery(summary, grown, parent, pool, Date.now() - began);

    let releaseDir: string;
    let version: number;
    if (rec.discovery.added.length > 0) {
      const installed = await stage('install', () => installLibraryVersion(ctx.dataDir, grown));
      rec.library = { version: installed.version, dir: relative(ctx.dataDir, installed.dir) };
      ctx.events.publish({ type: 'library', version: String(installed.version) });
      [releaseDir, version] = [installed.dir, installed.version];
    } else if (parentRef !== 'classic' && ctx.memory.publishedVersion.get(fleet) !== parent.version) {
      [releaseDir, version] = [parentRef, parent.version];
    } else {
      rec.outcome = 'nothing-new';
      return finish(ctx, rec, work);
    }

    const file = join(ctx.dataDir, 'loop', 'releases', `library-v${version}.lkr`);
    const release = await stage('release', () => {
      const r = createRelease({ kind: 'library', dir: releaseDir, key: ctx.key, now: new Date(ctx.now()) });
      writeReleaseFile(file, r);
      return r.envelope.manifest;
    });
    rec.release = {
      file: relative(ctx.dataDir, file),
      version: release.version,
      sha256: release.sha256,
      keyId: release.keyId,
    };
    await stage('publish', () => ctx.publish(file, fleet));
    rec.published = true;
    rec.outcome = rec.discovery.added.length > 0 ? 'released' : 'republished';
    return finish(ctx, rec, work);
  } catch (err) {
    if (err instanceof AbortedError) {
      rmSync(work, { recursive: true, force: true });
      return null;
    }
    const e = err as StageError;
    rec.error = { stage: e.stage, message: e.message };
    return finish(ctx, rec, work);
  }
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
