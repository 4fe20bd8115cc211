/**
 * `liquidkan worker` against a throwaway PostgreSQL: a queued discovery job whose worker is
 * killed mid-run is taken again by another worker once the lease runs out, and finishes with the
 * new library as its result; a store that refuses the credentials stops the worker and the
 * cloud with exit 2 and a sentence.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCluster, startCluster } from '../../cloud/fleet/store/postgres/cluster.js';
import { openPostgresStore } from '../../cloud/fleet/store/postgres/index.js';
import { WorkQueue } from '../../cloud/fleet/store/postgres/queue.js';
import { TOOLS } from '../helpers/system-tools.js';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

/** A hunger job whose missing shape is sin(3u)·exp(−u²/2), the format `liquidkan train` writes. */
function writeJob(file: string): void {
  const u: number[] = [];
  const phi: number[] = [];
  for (let i = 0; i < 40; i++) {
    const x = -2 + (4 * i) / 39;
    u.push(x);
    phi.push(Math.sin(3 * x) * Math.exp((-x * x) / 2));
  }
  writeFileSync(
    file,
    JSON.stringify({
      format: 'liquidkan-discovery-job',
      formatVersion: 1,
      task: 'probe',
      layer: 0,
      seed: 1,
      library: { version: 1, hash: 'x' },
      reason: { entropy: 0.9, gap: 0.5, bestSingle: 'tanh' },
      samples: { u, phi },
    }),
  );
}

describe.skipIf(TOOLS.postgres())('liquidkan worker on the shared queue', () => {
  let cluster: RunningCluster;
  let url: string;
  let work: string;
  beforeAll(async () => {
    await buildCliOnce();
    work = tempDir('worker');
    cluster = await startCluster({ fast: true });
    url = await cluster.createDatabase('queue');
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('retries a job whose worker was killed, and stores the library it makes', async () => {
    const job = join(work, 'job.json');
    writeJob(job);
    const add = await runCli(
      ['worker', 'add', '--store', url, '--job', job, '--steps', '20', '--json'],
      work,
    );
    expect(add.code, add.stderr).toBe(0);
    const { id } = JSON.parse(add.stdout) as { id: number };

    const store = await openPostgresStore({ url, poolSize: 1 });
    const queue = new WorkQueue(store.pool);
    try {
      // worker a claims it and is killed with its discovery child (its whole process group)
      const a = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'liquidkan.js'), 'worker', '--store', url, '--id', 'a', '--lease', '1'],
        {
          detached: true,
          stdio: 'ignore',
        },
      );
      const end = Date.now() + 20_000;
      while ((await queue.get(id))?.worker !== 'a' && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      expect(await queue.get(id)).toMatchObject({ state: 'running', worker: 'a', attempts: 1 });
      process.kill(-a.pid!, 'SIGKILL');

      const b = await runCli(
        ['worker', '--store', url, '--id', 'b', '--lease', '1', '--max-jobs', '1', '--json'],
        work,
      );
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout)).toEqual({ done: 1 });
      const done = await queue.get(id);
      expect(done).toMatchObject({ state: 'done', worker: 'b', attempts: 2 });
      const result = done!.result as {
        summary: { version: number };
        library: { version: number; entries: unknown[] };
      };
      expect(result.summary.version).toBe(2);
      expect(result.library.version).toBe(2);

      const list = await runCli(['worker', 'list', '--store', url, '--json'], work);
      expect(JSON.parse(list.stdout).jobs[0]).toMatchObject({ id, state: 'done', attempts: 2 });
    } finally {
      await store.close();
    }
  });

  it('stops with exit 2 and a sentence when the store refuses the credentials', async () => {
    const wrong = url.replace(cluster.password, 'wrong-password');
    for (const args of [
      ['worker', '--store', wrong],
      [
        'cloud',
        '--data',
        join(work, 'cloud'),
        '--store',
        wrong,
        '--broker',
        'mqtt://127.0.0.1:1',
        '--http-port',
        '0',
      ],
    ]) {
      const r = await runCli(args, work);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/refused the credentials: password authentication failed for user "postgres"/);
      expect(r.stderr).not.toContain('wrong-password');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
