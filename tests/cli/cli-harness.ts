/**
 * Runs the bundled CLI (`node bin/liquidkan.js …`) as a user would. The bundle is built once per
 * vitest run: the first test file to get here builds it under a lock and leaves a marker that the
 * other files (other worker processes of the same run) find, so no file reads dist/cli.js while
 * another rewrites it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'liquidkan.js');

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `npm run build` once per vitest run (keyed by the pid of the run's main process). */
export async function buildCliOnce(): Promise<void> {
  const marker = join(tmpdir(), 'liquidkan-cli-build.run');
  const lock = join(tmpdir(), 'liquidkan-cli-build.lock');
  const run = String(process.ppid);
  for (let waitedMs = 0; ; waitedMs += 50) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waitedMs > 60_000) throw new Error(`liquidkan CLI build: ${lock} held for over a minute`);
      await sleep(50);
    }
  }
  try {
    if (!existsSync(marker) || readFileSync(marker, 'utf8') !== run) {
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
      writeFileSync(marker, run);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI; killed (code -1) after `timeoutMs`. */
export function runCli(args: readonly string[], cwd: string, timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve) => {
    // a generous limit: files run CLI processes several at a time beside another test worker
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `liquidkan-${label}-`));
}
