/**
 * vitest global setup: gives the run one file for the skip reasons that tests/helpers/
 * system-tools.ts records (test files run in forked workers, which inherit the variable), and at
 * the end prints what was skipped for want of a system tool and how to install it:
 *
 *   Skipped for missing system tools (apt-get install them to run these too):
 *     mosquitto: /usr/sbin/mosquitto not found; install it with apt-get install mosquitto
 *       tests/interop/fleet.test.ts, tests/interop/mosquitto-config.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSkipLog, SKIP_LOG_ENV, type SkipRecord } from './skip-log.js';

/** The summary's lines for these records: one per tool, then the files that skipped for it. */
export function skipSummary(records: readonly SkipRecord[]): string[] {
  if (records.length === 0) return [];
  const byReason = new Map<string, Set<string>>();
  for (const r of records) {
    const files = byReason.get(r.reason) ?? new Set<string>();
    files.add(r.file);
    byReason.set(r.reason, files);
  }
  const lines = ['Skipped for missing system tools (apt-get install them to run these too):'];
  for (const [reason, files] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${reason}`, `    ${[...files].sort().join(', ')}`);
  }
  return lines;
}

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-skips-'));
  const log = join(dir, 'skips.jsonl');
  process.env[SKIP_LOG_ENV] = log;
  return () => {
    const lines = skipSummary(readSkipLog(log));
    if (lines.length > 0) process.stdout.write(`\n${lines.join('\n')}\n`);
    rmSync(dir, { recursive: true, force: true });
  };
}
