/**
 * A queue worker (`liquidkan worker --store postgres://… --kind discovery`), on any machine:
 * claims discovery jobs from the shared queue (store/postgres/queue.ts), runs each as the
 * `liquidkan discover --job` child process the hunger loop uses (loop/run-discovery.ts), keeps
 * its lease alive while it runs, and stores the new library (library.json) as the job's result.
 * A worker that dies stops renewing its lease, and the job is claimed again by another worker.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../../shared/errors.js';
import { type DiscoverySummary, runDiscovery } from '../loop/run-discovery.js';
import { openPostgresStore } from '../store/postgres/index.js';
import { type WorkItem, WorkQueue } from '../store/postgres/queue.js';

export const WORK_KINDS = ['discovery'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

/** A queued discovery job: the hunger job itself and how to run it. */
export const DiscoveryPayloadSchema = z
  .object({
    /** The hunger job file's content (what `liquidkan discover --job FILE` reads). */
    job: z.record(z.string(), z.unknown()),
    /** The parent library's library.json content, or 'classic'. @defaultValue 'classic' */
    library: z.union([z.literal('classic'), z.record(z.string(), z.unknown())]).default('classic'),
    seed: z.number().int().default(1),
    steps: z.number().int().positive().default(60),
    grid: z.number().int().positive().default(5),
    timeoutMs: z.number().int().positive().default(600_000),
  })
  .strict();
export type DiscoveryPayload = z.input<typeof DiscoveryPayloadSchema>;

export interface DiscoveryResult {
  readonly summary: DiscoverySummary;
  /** The new library.json. */
  readonly library: unknown;
}

export interface WorkerOptions {
  readonly store: string;
  readonly kind: WorkKind;
  /** Names this worker in the queue. @defaultValue `{hostname}-{pid}` */
  readonly id: string;
  /** Lease per claim, renewed every third of it while a job runs, in ms. @defaultValue 30000 */
  readonly leaseMs?: number;
  /** Wait between looks at an empty queue, in ms. @defaultValue 1000 */
  readonly pollMs?: number;
  /** Stop after this many jobs (tests, batch runs). @defaultValue unlimited */
  readonly maxJobs?: number;
  /** Stops the loop; a running job's child is killed and its lease left to run out. */
  readonly signal?: AbortSignal;
  readonly cli?: { readonly node: string; readonly script: string };
  readonly log?: (line: string) => void;
}

async function runOne(item: WorkItem, o: WorkerOptions): Promise<DiscoveryResult> {
  const parsed = DiscoveryPayloadSchema.safeParse(item.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`job ${item.id}: payload field '${issue?.path.join('.') ?? ''}': ${issue?.message}`);
  }
  const p = parsed.data;
  const dir = mkdtempSync(join(tmpdir(), `lk-work-${item.id}-`));
  try {
    const jobFile = join(dir, 'job.json');
    writeFileSync(jobFile, JSON.stringify(p.job));
    let library = 'classic';
    if (p.library !== 'classic') {
      library = join(dir, 'parent');
      mkdirSync(library);
      writeFileSync(join(library, 'library.json'), JSON.stringify(p.library));
    }
    const out = join(dir, 'out');
    const summary = await runDiscovery({
      job: jobFile,
      library,
      out,
      seed: p.seed,
      steps: p.steps,
      grid: p.grid,
      timeoutMs: p.timeoutMs,
      ...(o.cli ? { cli: o.cli } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return { summary, library: JSON.parse(readFileSync(join(out, 'library.json'), 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs jobs until `signal` aborts or `maxJobs` are done; the count done. */
export async function runWorker(options: WorkerOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`worker: ${line}\n`));
  const store = await openPostgresStore({ url: options.store, poolSize: 2 });
  const queue = new WorkQueue(store.pool, options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {});
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      options.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  let done = 0;
  try {
    while (!options.signal?.aborted && done < (options.maxJobs ?? Number.POSITIVE_INFINITY)) {
      const item = await queue.claim(options.kind, options.id);
      if (!item) {
        await sleep(options.pollMs ?? 1000);
        continue;
      }
      log(`job ${item.id}: try ${item.attempts} of ${item.maxAttempts}`);
      const renew = setInterval(() => {
        void queue.heartbeat(item.id, options.id).then(
          (mine) => mine || log(`job ${item.id}: lease lost to another worker`),
          (err: Error) => log(`job ${item.id}: cannot renew the lease (${err.message})`),
        );
      }, queue.leaseMs / 3);
      try {
        const result = await runOne(item, options);
        await queue.complete(item.id, options.id, result);
        log(
          `job ${item.id}: done, library v${result.summary.version}, ${result.summary.entries_added.length} entries added`,
        );
      } catch (err) {
        if (options.signal?.aborted) break; // the lease runs out and another worker takes it
        await queue.fail(item.id, options.id, (err as Error).message);
        log(`job ${item.id}: failed: ${(err as Error).message}`);
      } finally {
        clearInterval(renew);
      }
      done++;
    }
  } finally {
    await store.close();
  }
  return done;
}
