/**
 * `liquidkan cloud` as a child process for CLI tests: started with ports 0 and --json, it
 * prints one JSON line with its addresses; stop() sends a signal and resolves with the exit code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../../cli/cli-harness.js';

export interface CloudProcess {
  readonly child: ChildProcess;
  readonly brokerUrl: string;
  readonly httpUrl: string;
  readonly tokenFile: string;
  /** The read-only viewer token (reads need it or the operator's). */
  readonly viewerTokenFile: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startCloudProcess(dataDir: string, extra: readonly string[] = []): Promise<CloudProcess> {
  const args = [join(ROOT, 'bin', 'liquidkan.js'), 'cloud', '--data', dataDir, '--mqtt-port', '0'];
  args.push('--http-port', '0', '--host', '127.0.0.1', '--json', ...extra);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`liquidkan cloud did not print its addresses in 20 s; stderr: ${err}`));
    }, 20_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`liquidkan cloud exited with ${code} before starting; stderr: ${err}`));
    });
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (!out.includes('\n') || !line) return;
      clearTimeout(timer);
      const info = JSON.parse(line) as {
        brokerUrl: string;
        httpUrl: string;
        tokenFile: string;
        viewerTokenFile: string;
      };
      resolve({
        child,
        ...info,
        stderr: () => err,
        stop(signal = 'SIGTERM') {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}
