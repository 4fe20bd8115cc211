/**
 * Where a cycle's discovery runs. The SQLite cloud runs it here, as a child process of the CLI
 * (run-discovery.ts): localDiscovery. Cloud processes sharing PostgreSQL put it in the work
 * queue for `liquidkan worker` on any machine (scale/queued-discovery.ts). Either way the cycle
 * gets back the grown library and the child's summary.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type ActivationLibrary, loadLibrary, saveLibrary } from '../../../shared/library/library.js';
import { type DiscoveryJob, writeDiscoveryJob } from '../../train/hunger.js';
import { type DiscoverySummary, runDiscovery } from './run-discovery.js';

export interface DiscoveryRequest {
  readonly cycle: { readonly id: string; readonly fleet: string; readonly layer: number };
  readonly job: DiscoveryJob;
  /** The library discovery grows; null for the classic one. */
  readonly parent: ActivationLibrary | null;
  readonly seed: number;
  readonly steps: number;
  readonly grid: number;
  readonly timeoutMs: number;
  /** The cycle's own scratch directory (removed when the cycle ends). */
  readonly workDir: string;
  /** What the cycle needs to finish once discovery is done, should another process finish it. */
  readonly state: unknown;
  readonly signal: AbortSignal;
}

export interface DiscoveryOutput {
  readonly summary: DiscoverySummary;
  readonly library: ActivationLibrary;
}

/** A cycle whose discovery is queued, opened by this or an earlier leader, still to be finished. */
export interface PendingCycle {
  /** What the cycle kept with its job (cycle.ts CycleState). */
  readonly state: unknown;
  /** The library the job grows; null for the classic one. */
  readonly parent: ActivationLibrary | null;
  /** Where the job is, for the cycle record. */
  readonly job: string;
  /** The job's result once a worker is done; rejects when the job failed, AbortedError when stopped. */
  wait(signal: AbortSignal): Promise<DiscoveryOutput>;
}

export interface DiscoveryRunner {
  /** Cycles whose discovery is queued and not finished yet (a runner that queues). */
  pending?(): Promise<PendingCycle[]>;
  /**
   * Runs discovery and returns the grown library. `onJob` is told where the job went (the job
   * file relative to the data directory, or the queue row) as soon as it is there. Rejects with
   * AbortedError when stopped from outside (no cycle record is written then).
   */
  run(request: DiscoveryRequest, onJob: (where: string) => void): Promise<DiscoveryOutput>;
}

/** Discovery in a child process of this machine; the job file kept in DATA/loop/jobs/. */
export function localDiscovery(
  dataDir: string,
  cli?: { readonly node: string; readonly script: string },
): DiscoveryRunner {
  return {
    async run(r, onJob) {
      const { id, fleet, layer } = r.cycle;
      const jobFile = join(dataDir, 'loop', 'jobs', `${id}-${fleet}-L${layer}.json`);
      writeDiscoveryJob(jobFile, r.job);
      onJob(relative(dataDir, jobFile));
      let library = 'classic';
      if (r.parent) {
        library = join(r.workDir, 'parent');
        mkdirSync(library, { recursive: true });
        saveLibrary(library, r.parent);
      }
      const out = join(r.workDir, 'library');
      const summary = await runDiscovery({
        job: jobFile,
        library,
        out,
        seed: r.seed,
        steps: r.steps,
        grid: r.grid,
        timeoutMs: r.timeoutMs,
        signal: r.signal,
        ...(cli ? { cli } : {}),
      });
      return { summary, library: loadLibrary(out) };
    },
  };
}
