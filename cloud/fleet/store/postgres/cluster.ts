/**
 * A throwaway PostgreSQL cluster (Debian's `postgresql` binaries) for the store tests and the
 * fleet-scale benchmark, in the spirit of broker/mosquitto-process.ts: initdb into a temporary
 * directory, the server on a free port on 127.0.0.1, password (scram) authentication so a wrong
 * password is refused as in production. PostgreSQL refuses to run as root, so when we are root
 * both run as an unprivileged account (`postgres` when it exists, else `nobody`) that owns the
 * directory. Tests skip through tests/helpers/system-tools.ts (TOOLS.postgres, probing the same
 * POSTGRES_BIN_DIR); `postgresSkipReason` names what is missing for the benchmark.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../broker/mosquitto-process.js';

/** Debian's newest installed server (`/usr/lib/postgresql/{major}/bin`), or LK_POSTGRES_BIN. */
function debianBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, 'bin', 'initdb')))
        .map(Number)
        .sort((a, b) => b - a)
    : [];
  return join(root, String(majors[0] ?? 15), 'bin');
}

export const POSTGRES_BIN_DIR = process.env['LK_POSTGRES_BIN'] ?? debianBinDir();
export const havePostgres = existsSync(join(POSTGRES_BIN_DIR, 'initdb'));
/** Why the PostgreSQL tests skip, when they do. */
export const postgresSkipReason = havePostgres
  ? null
  : `no PostgreSQL binaries in ${POSTGRES_BIN_DIR} (apt install postgresql, or set LK_POSTGRES_BIN)`;

export interface ClusterOptions {
  /**
   * fsync and synchronous_commit off: for tests, where a power cut is not a concern and commits
   * would otherwise dominate their time. The benchmark keeps PostgreSQL's durable defaults.
   * @defaultValue false
   */
  readonly fast?: boolean;
  /** Connections the server accepts. @defaultValue 200 */
  readonly maxConnections?: number;
}

export interface RunningCluster {
  readonly port: number;
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly password: string;
  /** A URL to a fresh, empty database in this cluster (one per test file keeps tests apart). */
  createDatabase(name: string): Promise<string>;
  readonly logs: string[];
  /** Stops the server and keeps its data (the database down, for tests); resume() starts it again. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const unprivileged = (): string | null => {
  if (process.getuid?.() !== 0) return null;
  try {
    execFileSync('id', ['postgres'], { stdio: 'ignore' });
    return 'postgres';
  } catch {
    return 'nobody';
  }
};

function idsOf(user: string): { uid?: number; gid?: number } {
  const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', user]).toString().trim());
  return { uid, gid };
}

export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  if (!havePostgres) throw new Error(postgresSkipReason ?? 'no PostgreSQL');
  const user = unprivileged();
  const root = mkdtempSync(join(tmpdir(), 'liquidkan-pg-'));
  const data = join(root, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = join(root, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  // spawned directly with the account's uid/gid (not through runuser), so signals reach the server
  const ids = user ? idsOf(user) : {};
  if (ids.uid !== undefined && ids.gid !== undefined) {
    chownSync(root, ids.uid, ids.gid);
    chownSync(pwfile, ids.uid, ids.gid);
  }
  chmodSync(root, 0o700);
  execFileSync(
    join(POSTGRES_BIN_DIR, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ],
    { stdio: 'pipe', cwd: root, ...ids },
  );
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: root,
    max_connections: String(options.maxConnections ?? 200),
    ...(options.fast ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
  };
  const args = ['-D', data, '-p', String(port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const logs: string[] = [];
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  let server: { child: ChildProcess; exited: () => boolean; gone: Promise<void> } | null = null;

  /** Starts the server on the cluster's port and waits until it accepts connections. */
  const launch = async () => {
    const child: ChildProcess = spawn(join(POSTGRES_BIN_DIR, 'postgres'), args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: root,
      ...ids,
    });
    let exited = false;
    const gone = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    child.stderr!.on('data', (d: Buffer) => {
      logs.push(...d.toString().split('\n').filter(Boolean));
      if (logs.length > 2000) logs.splice(0, logs.length - 2000);
    });
    server = { child, exited: () => exited, gone };
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (exited || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(
            `PostgreSQL did not start on port ${port} (${(err as Error).message}):\n${logs.join('\n')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  /** Stops the server (SIGINT: PostgreSQL's "fast" shutdown, clients disconnected), keeping its data. */
  const halt = async () => {
    const s = server;
    server = null;
    if (!s || s.exited()) return;
    s.child.kill('SIGINT');
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    await s.gone;
    clearTimeout(timer);
  };
  try {
    await launch();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url,
    password,
    logs,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres:${password}@127.0.0.1:${port}/${name}`;
    },
    pause: halt,
    resume: () => (server ? Promise.resolve() : launch()),
    async stop() {
      await halt();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
