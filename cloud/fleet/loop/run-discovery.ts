/**
 * Runs `liquidkan discover --job …` as a child process: discovery is seconds to minutes of
 * numeric work, and the cloud's event loop must keep serving MQTT meanwhile. The child writes
 * the merged library to `out` (atomically, as the CLI always does) and prints its JSON summary.
 * A time limit kills it; its stderr tail goes into the error.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../../../shared/io/package-root.js';

export interface DiscoveryRun {
  readonly job: string;
  /** Parent library: a directory with library.json, or 'classic'. */
  readonly library: string;
  readonly out: string;
  readonly seed: number;
  readonly steps: number;
  readonly grid: number;
  readonly timeoutMs: number;
  readonly cli?: { readonly node: string; readonly script: string };
  /** Aborting kills the child (the cloud is shutting down). */
  readonly signal?: AbortSignal;
}

const SummarySchema = z.object({
  test_rmse: z.number(),
  formula: z.string(),
  entries_added: z.array(z.object({ id: z.string(), form: z.string(), name: z.string() })),
  version: z.number().int(),
  hash: z.string(),
});
export type DiscoverySummary = z.output<typeof SummarySchema>;

/** Most bytes kept of the child's stdout and stderr. */
const MAX_OUTPUT_BYTES = 1 << 20;
const STDERR_TAIL = 600;

/** The run was stopped from outside, not failed. */
export class AbortedError extends Error {}

export function defaultCli(): { node: string; script: string } {
  return { node: process.execPath, script: join(packageRoot(), 'bin', 'liquidkan.js') };
}

export function runDiscovery(run: DiscoveryRun): Promise<DiscoverySummary> {
  const cli = run.cli ?? defaultCli();
  const args = [
    cli.script,
    'discover',
    '--job',
    run.job,
    '--library',
    run.library,
    '--out',
    run.out,
    '--seed',
    String(run.seed),
    '--steps',
    String(run.steps),
    '--grid',
    String(run.grid),
    '--json',
  ];
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) return reject(new AbortedError('discovery was stopped (shutdown)'));
    const child = spawn(cli.node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-MAX_OUTPUT_BYTES);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    const abort = () => child.kill('SIGKILL');
    run.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', abort);
      reject(new Error(`discovery could not start (${err.message})`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', abort);
      if (run.signal?.aborted) return reject(new AbortedError('discovery was stopped (shutdown)'));
      const tail = stderr.trim().slice(-STDERR_TAIL);
      if (timedOut)
        return reject(new Error(`discovery ran past its time limit of ${run.timeoutMs} ms; killed`));
      if (code !== 0) {
        return reject(
          new Error(`discovery exited with ${signal ?? `code ${code}`}${tail ? `: ${tail}` : ''}`),
        );
      }
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        return reject(new Error(`discovery printed no JSON summary (stdout: ${line.slice(0, 200)})`));
      }
      const parsed = SummarySchema.safeParse(json);
      if (!parsed.success) return reject(new Error(`discovery summary: ${parsed.error.issues[0]!.message}`));
      resolve(parsed.data);
    });
  });
}
