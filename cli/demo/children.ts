/**
 * The demo's device processes: each a `liquidkan device` child with its stdout read line by line
 * (step lines, then the JSON summary when it stops) and its stderr kept as a short tail for the
 * failure message. stop() asks every child to end with SIGINT (a synced device then publishes
 * 'offline', flushes its outbox and prints its summary), waits, and kills what is left: the
 * demo never leaves a process behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface DeviceChild {
  readonly id: string;
  readonly proc: ChildProcess;
  /** Parsed stdout lines with a `step` (or a voice `label`), in order. */
  readonly steps: Record<string, unknown>[];
  /** The summary the device printed when it stopped, if it did. */
  summary: Record<string, unknown> | null;
  stderrTail: string;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  readonly exited: Promise<void>;
}

const TAIL = 4000;

export function spawnDevice(
  id: string,
  node: string,
  args: readonly string[],
  o: { stdin?: 'pipe' | 'ignore'; onLine?: (line: Record<string, unknown>) => void } = {},
): DeviceChild {
  const proc = spawn(node, args, { stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe'] });
  // a child that stops reading its stdin must not crash the demo with EPIPE
  proc.stdin?.on('error', () => {});
  let resolveExit!: () => void;
  const child: DeviceChild = {
    id,
    proc,
    steps: [],
    summary: null,
    stderrTail: '',
    exit: null,
    exited: new Promise<void>((resolve) => {
      resolveExit = resolve;
    }),
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let j: unknown;
    try {
      j = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof j !== 'object' || j === null) return;
    const rec = j as Record<string, unknown>;
    if ('steps' in rec && 'latency_us' in rec) child.summary = rec;
    else {
      child.steps.push(rec);
      o.onLine?.(rec);
    }
  });
  proc.stderr!.on('data', (b: Buffer) => {
    child.stderrTail = (child.stderrTail + b.toString('utf8')).slice(-TAIL);
  });
  proc.on('error', (err) => {
    child.stderrTail += `\nspawn failed: ${err.message}`;
  });
  proc.on('close', (code, signal) => {
    child.exit = { code, signal };
    resolveExit();
  });
  return child;
}

/** SIGINT to every running child, then SIGKILL to any still running after `graceMs`. */
export async function stopDevices(children: readonly DeviceChild[], graceMs = 8000): Promise<void> {
  for (const c of children) if (!c.exit) c.proc.kill('SIGINT');
  const all = Promise.all(children.map((c) => c.exited));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const r = await Promise.race([all.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (r === 'late') {
    for (const c of children) if (!c.exit) c.proc.kill('SIGKILL');
    await all;
  }
}
