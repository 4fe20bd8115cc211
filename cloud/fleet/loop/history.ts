/**
 * DATA/loop/history.jsonl: one CycleRecord per line, appended when a cycle ends. It is the
 * policy's memory across restarts: which hunger was handled (per fleet and layer, everything
 * received up to the trigger's lastMs of a successful cycle), when each group's cooldown ends,
 * and which library version each fleet last got from the loop. A line cut short by a crash
 * is skipped with one log line; the cycle it described runs again.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoopHistoryApi } from '../store/types.js';
import type { CycleRecord } from './types.js';

export function readHistory(file: string, log: (line: string) => void): CycleRecord[] {
  if (!existsSync(file)) return [];
  const out: CycleRecord[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const rec = JSON.parse(line) as CycleRecord;
        if (typeof rec.fleet === 'string' && typeof rec.layer === 'number' && typeof rec.id === 'string') {
          out.push(rec);
          return;
        }
      } catch {
        // fall through to the log line
      }
      log(`${file}:${i + 1}: not a cycle record; skipped`);
    });
  return out;
}

export function appendHistory(file: string, record: CycleRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/** The history in DATA/loop/history.jsonl (the SQLite cloud's; store/postgres/loop.ts keeps it in a table). */
export class FileLoopHistory implements LoopHistoryApi {
  #ids: Set<string> | null = null;

  constructor(
    readonly file: string,
    private readonly log: (line: string) => void,
  ) {}

  read(): CycleRecord[] {
    const records = readHistory(this.file, this.log);
    this.#ids = new Set(records.map((r) => r.id));
    return records;
  }

  append(record: CycleRecord): void {
    this.#ids ??= new Set(readHistory(this.file, () => {}).map((r) => r.id));
    if (this.#ids.has(record.id)) return;
    appendHistory(this.file, record);
    this.#ids.add(record.id);
  }
}

export function groupKey(fleet: string, layer: number): string {
  return `${fleet}\u0000${layer}`;
}

/** What the history says about one fleet and layer. */
export interface LoopMemory {
  /** Hunger received up to here is handled, per group. */
  readonly handledUntilMs: Map<string, number>;
  /** When each group's latest cycle started. */
  readonly lastStartMs: Map<string, number>;
  /** The library version each fleet last got from the loop. */
  readonly publishedVersion: Map<string, number>;
}

export function emptyMemory(): LoopMemory {
  return { handledUntilMs: new Map(), lastStartMs: new Map(), publishedVersion: new Map() };
}

export function remember(memory: LoopMemory, rec: CycleRecord): void {
  const key = groupKey(rec.fleet, rec.layer);
  memory.lastStartMs.set(key, Math.max(memory.lastStartMs.get(key) ?? -Infinity, rec.startedMs));
  if (rec.outcome !== 'failed') {
    memory.handledUntilMs.set(key, Math.max(memory.handledUntilMs.get(key) ?? -Infinity, rec.trigger.lastMs));
  }
  if (rec.published && rec.release) {
    const v = Number(rec.release.version);
    if (Number.isFinite(v)) memory.publishedVersion.set(rec.fleet, v);
  }
}
