/**
 * The file through which test workers tell the end-of-run summary what they skipped and why:
 * one JSON record a line. Kept free of vitest imports so the global setup can read it too.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where skip reasons are collected (set by the global setup, inherited by the workers). */
export const SKIP_LOG_ENV = 'LIQUIDKAN_SKIP_LOG';

/** One recorded skip: which tool, why, and which test file asked. */
export interface SkipRecord {
  readonly tool: string;
  readonly reason: string;
  readonly file: string;
}

export function appendSkip(rec: SkipRecord): void {
  const log = process.env[SKIP_LOG_ENV] ?? join(tmpdir(), 'liquidkan-skips.jsonl');
  try {
    appendFileSync(log, `${JSON.stringify(rec)}\n`);
  } catch {
    // the summary is a convenience: a skip must never fail for want of it
  }
}

export function readSkipLog(file: string): SkipRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as SkipRecord];
      } catch {
        return [];
      }
    });
}
