/** openDatabase (cloud/fleet/telemetry/sqlite.ts): WAL mode and statements prepared once per SQL text. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../cloud/fleet/telemetry/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'lk-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openDatabase', () => {
  it('opens in WAL mode and hands out one prepared statement per SQL text', () => {
    const db = openDatabase(join(dir, 'a.db'));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
      const insert = db.prepare('INSERT INTO t (k, v) VALUES (?, ?)');
      expect(db.prepare('INSERT INTO t (k, v) VALUES (?, ?)')).toBe(insert);
      expect(db.prepare('SELECT v FROM t WHERE k = ?')).not.toBe(insert);
      // a reused statement still binds fresh parameters each run
      for (let i = 0; i < 3; i++) db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(`k${i}`, i);
      expect(db.prepare('SELECT v FROM t WHERE k = ?').get('k2')).toEqual({ v: 2 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 3 });
    } finally {
      db.close();
    }
  });
});
