/**
 * `liquidkan worker --store postgres://… --kind discovery`: runs queued work from the shared
 * store on this machine (cloud/fleet/scale/worker.ts), and `liquidkan worker add|list` to queue
 * a discovery job and see the queue.
 */

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../shared/errors.js';
import {
  type Command,
  type CommandContext,
  intFlag,
  JSON_FLAG,
  optionalString,
  stringFlag,
} from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

const STORE_FLAG = {
  type: 'string',
  value: 'URL',
  description: 'the shared PostgreSQL store, postgres://USER:PASSWORD@HOST:PORT/DB',
  required: true,
} as const;
const KIND_FLAG = {
  type: 'string',
  value: 'KIND',
  description: "the kind of work: 'discovery'",
  default: 'discovery',
} as const;

async function kindOf(ctx: CommandContext): Promise<'discovery'> {
  const { WORK_KINDS } = await import('../../cloud/fleet/scale/worker.js');
  const kind = stringFlag(ctx.flags, 'kind');
  if (!(WORK_KINDS as readonly string[]).includes(kind)) {
    throw new InputError(`--kind must be one of ${WORK_KINDS.join(', ')}, got '${kind}'`);
  }
  return kind as 'discovery';
}

function readJsonFile(path: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`${path}: cannot read ${what}: ${(err as Error).message}`);
  }
}

export const workerAddCommand: Command = {
  name: 'add',
  summary: 'queue a discovery job (a hunger job file) in the shared store',
  usage: 'worker add --store URL --job FILE [--library DIR] [--steps N] [--seed S] [--json]',
  flags: {
    store: STORE_FLAG,
    kind: KIND_FLAG,
    job: {
      type: 'string',
      value: 'FILE',
      description: 'a hunger job written by `liquidkan train`',
      required: true,
    },
    library: { type: 'string', value: 'DIR', description: "parent library (default 'classic')" },
    steps: { type: 'string', value: 'N', description: 'KAN training steps', default: '60' },
    seed: { type: 'string', value: 'S', description: 'seed', default: '1' },
    json: JSON_FLAG,
  },
  async run(ctx) {
    await kindOf(ctx);
    const job = readJsonFile(stringFlag(ctx.flags, 'job'), 'the job');
    const libDir = optionalString(ctx.flags, 'library');
    const library = libDir ? readJsonFile(join(libDir, 'library.json'), 'the library') : 'classic';
    const { openPostgresStore } = await import('../../cloud/fleet/store/postgres/index.js');
    const { WorkQueue } = await import('../../cloud/fleet/store/postgres/queue.js');
    const store = await openPostgresStore({ url: stringFlag(ctx.flags, 'store'), poolSize: 1 });
    try {
      const id = await new WorkQueue(store.pool).enqueue('discovery', {
        job,
        library,
        steps: intFlag(ctx.flags, 'steps', 1),
        seed: intFlag(ctx.flags, 'seed', 0),
      });
      if (ctx.json) ctx.stdout(JSON.stringify({ id }));
      else ctx.info(`queued discovery job ${id}`);
    } finally {
      await store.close();
    }
  },
};

export const workerListCommand: Command = {
  name: 'list',
  summary: 'list the queued, running, done and failed jobs of a kind',
  usage: 'worker list --store URL [--kind discovery] [--json]',
  flags: { store: STORE_FLAG, kind: KIND_FLAG, json: JSON_FLAG },
  async run(ctx) {
    const kind = await kindOf(ctx);
    const { openPostgresStore } = await import('../../cloud/fleet/store/postgres/index.js');
    const { WorkQueue } = await import('../../cloud/fleet/store/postgres/queue.js');
    const store = await openPostgresStore({ url: stringFlag(ctx.flags, 'store'), poolSize: 1 });
    try {
      const items = (await new WorkQueue(store.pool).list(kind)).map(({ payload: _p, result, ...rest }) => ({
        ...rest,
        ...(result && typeof result === 'object' && 'summary' in result ? { summary: result.summary } : {}),
      }));
      if (ctx.json) ctx.stdout(JSON.stringify({ jobs: items }));
      else
        for (const j of items)
          ctx.info(
            `${j.id} ${j.state} tries ${j.attempts}/${j.maxAttempts} ${j.worker ?? ''} ${j.error ?? ''}`,
          );
    } finally {
      await store.close();
    }
  },
};

export const workerCommand: Command = {
  name: 'worker',
  summary: COMMAND_SUMMARIES.worker,
  usage: 'worker --store URL [--kind discovery] [--id NAME] [--lease S] [--max-jobs N] | worker add|list …',
  flags: {
    store: STORE_FLAG,
    kind: KIND_FLAG,
    id: { type: 'string', value: 'NAME', description: 'this worker in the queue (default HOST-PID)' },
    lease: {
      type: 'string',
      value: 'S',
      description: 'seconds a claim holds without renewal',
      default: '30',
    },
    'max-jobs': { type: 'string', value: 'N', description: 'stop after N jobs (default: run until stopped)' },
    json: JSON_FLAG,
  },
  subcommands: [workerAddCommand, workerListCommand],
  async run(ctx) {
    const kind = await kindOf(ctx);
    const { runWorker } = await import('../../cloud/fleet/scale/worker.js');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const max = optionalString(ctx.flags, 'max-jobs');
    try {
      const done = await runWorker({
        store: stringFlag(ctx.flags, 'store'),
        kind,
        id: optionalString(ctx.flags, 'id') ?? `${hostname()}-${process.pid}`,
        leaseMs: intFlag(ctx.flags, 'lease', 1) * 1000,
        signal: stop.signal,
        ...(max !== undefined ? { maxJobs: intFlag(ctx.flags, 'max-jobs', 1) } : {}),
      });
      if (ctx.json) ctx.stdout(JSON.stringify({ done }));
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
