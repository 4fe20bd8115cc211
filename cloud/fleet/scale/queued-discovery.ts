/**
 * The hunger loop's discovery as queued work (issue 17 item 4), for cloud processes sharing
 * PostgreSQL: instead of a child process on the leader, a cycle puts its job in work_queue and
 * waits for `liquidkan worker --kind discovery` on any machine to run it (scale/worker.ts).
 *
 * Once per hunger. A cycle opens a row of loop_open_cycles (one per fleet and layer) in the
 * transaction that queues its job (store/postgres/loop.ts PgOpenCycles), so a second leader,
 * or this one after a restart, finds the open cycle instead of queueing again; the row goes
 * when the cycle's record is written (PgLoopHistory.append). A leader that stops waiting (it
 * died or stepped down) leaves the row, and the next leader finishes the cycle from what the
 * row keeps (cycle.ts CycleState) once the job is done (HungerPolicy's `pending()`).
 */
import type pg from 'pg';
import { type ActivationLibrary, libraryToJson, parseLibrary } from '../../../shared/library/library.js';
import type { DiscoveryOutput, DiscoveryRunner, PendingCycle } from '../loop/discovery-runner.js';
import { AbortedError, type DiscoverySummary } from '../loop/run-discovery.js';
import { PgOpenCycles } from '../store/postgres/loop.js';
import { WorkQueue } from '../store/postgres/queue.js';
import type { DiscoveryPayload, DiscoveryResult } from './worker.js';

export interface QueuedDiscoveryOptions {
  readonly pool: pg.Pool;
  /** How often a waiting cycle looks at its job, in ms. @defaultValue 1000 */
  readonly pollMs?: number;
  /** Tries per job before it is failed (a dead worker's try counts). @defaultValue the queue's (3) */
  readonly maxAttempts?: number;
  readonly log?: (line: string) => void;
}

export const QUEUED_DISCOVERY_DEFAULTS = Object.freeze({ pollMs: 1000 });

const where = (workId: number) => `work_queue ${workId}`;

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError('stopped waiting for discovery'));
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError('stopped waiting for discovery'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function queuedDiscovery(options: QueuedDiscoveryOptions): DiscoveryRunner {
  const pollMs = options.pollMs ?? QUEUED_DISCOVERY_DEFAULTS.pollMs;
  const log = options.log ?? (() => {});
  const queue = new WorkQueue(
    options.pool,
    options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {},
  );
  const open = new PgOpenCycles(options.pool);

  /** Polls the job until a worker is done with it. */
  async function wait(workId: number, signal: AbortSignal): Promise<DiscoveryOutput> {
    let said = false;
    for (;;) {
      const item = await queue.get(workId);
      if (!item) throw new Error(`discovery job ${workId} is no longer in the queue`);
      if (item.state === 'done') {
        const result = item.result as DiscoveryResult;
        return {
          summary: result.summary as DiscoverySummary,
          library: parseLibrary(result.library, `${where(workId)} result`),
        };
      }
      if (item.state === 'failed') {
        throw new Error(`discovery job ${workId} failed after ${item.attempts} tries: ${item.error ?? '?'}`);
      }
      if (!said) {
        log(
          `waiting for discovery job ${workId} (${item.state}; run \`liquidkan worker --store … --kind discovery\`)`,
        );
        said = true;
      }
      await abortable(pollMs, signal);
    }
  }

  return {
    async run(r, onJob) {
      const payload: DiscoveryPayload = {
        job: r.job as unknown as Record<string, unknown>,
        library: r.parent ? (JSON.parse(libraryToJson(r.parent)) as Record<string, unknown>) : 'classic',
        seed: r.seed,
        steps: r.steps,
        grid: r.grid,
        timeoutMs: r.timeoutMs,
      };
      const opened = await open.open({ ...r.cycle, state: r.state }, (db) =>
        queue.enqueue('discovery', payload, {
          db,
          ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
        }),
      );
      // another leader opened a cycle for this group a moment ago: it is pending, not ours
      if (!opened) throw new AbortedError(`${r.cycle.fleet} L${r.cycle.layer} has a queued cycle already`);
      onJob(where(opened.workId));
      log(`cycle ${r.cycle.id} ${r.cycle.fleet} L${r.cycle.layer}: discovery queued as job ${opened.workId}`);
      return wait(opened.workId, r.signal);
    },

    async pending(): Promise<PendingCycle[]> {
      const out: PendingCycle[] = [];
      for (const c of await open.list()) {
        const item = await queue.get(c.workId);
        const payload = item?.payload as DiscoveryPayload | undefined;
        const parent: ActivationLibrary | null =
          payload?.library && payload.library !== 'classic'
            ? parseLibrary(payload.library, `${where(c.workId)} payload`)
            : null;
        out.push({
          state: c.state,
          parent,
          job: where(c.workId),
          wait: (signal) => wait(c.workId, signal),
        });
      }
      return out;
    },
  };
}
