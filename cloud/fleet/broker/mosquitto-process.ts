/**
 * A real mosquitto process (Debian's by default) for the interop tests and the fleet benchmark: the config written by
 * cloud/fleet/broker/mosquitto.ts into a folder, the broker on a free port, its log kept.
 * `haveMosquitto` is false when the binary is missing, for describe.skipIf.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import type { MosquittoConfOptions, MosquittoFiles } from './mosquitto.js';

export const MOSQUITTO_BIN = process.env['LK_MOSQUITTO'] ?? '/usr/sbin/mosquitto';
export const haveMosquitto = existsSync(MOSQUITTO_BIN);

export interface RunningMosquitto {
  readonly port: number;
  /** mqtt://127.0.0.1:PORT, the device listener */
  readonly url: string;
  /** The operator listener, for the cloud's clients (`--broker`). */
  readonly operatorUrl: string;
  readonly files: MosquittoFiles;
  /** The broker's log lines (the last few thousand). */
  readonly logs: string[];
  /** Re-read passwd and acl (SIGHUP), as after `devices add`. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts mosquitto on the files in `files.dir` (which must hold passwd and acl). */
export async function startMosquitto(
  files: MosquittoFiles,
  options: Omit<MosquittoConfOptions, 'dir' | 'host' | 'operatorHost'> & { port?: number } = {},
): Promise<RunningMosquitto> {
  const port = options.port ?? (await freePort());
  const operatorPort = options.operatorPort ?? (await freePort());
  const conf = files.writeConf({
    logTypes: ['error', 'warning', 'notice', 'information'],
    ...options,
    port,
    host: '127.0.0.1',
    operatorPort,
    operatorHost: '127.0.0.1',
    ...(process.getuid?.() === 0 ? { user: 'root' } : {}),
  });
  const logs: string[] = [];
  const child: ChildProcess = spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    logs.push(...lines);
    if (logs.length > 5000) logs.splice(0, logs.length - 5000);
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not start on port ${port}:\n${logs.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    operatorUrl: `mqtt://127.0.0.1:${operatorPort}`,
    files,
    logs,
    async reload() {
      const before = logs.length;
      child.kill('SIGHUP');
      const until = Date.now() + 5000;
      while (!logs.slice(before).some((l) => /[Rr]eloading/.test(l)) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
      // the files are re-read right after the log line
      await new Promise((r) => setTimeout(r, 100));
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
