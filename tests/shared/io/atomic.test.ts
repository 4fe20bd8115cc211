/**
 * Atomic writes: a directory or file is replaced whole, and neither success nor failure leaves a
 * temporary sibling behind or a half-written target.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import { writeDirAtomic, writeFileAtomic } from '../../../shared/io/atomic.js';

const root = mkdtempSync(join(tmpdir(), 'liquidkan-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh parent directory per test, so "no temp siblings" means exactly that. */
function parent(): string {
  const p = join(root, `p${++n}`);
  mkdirSync(p);
  return p;
}

function listing(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'latin1')]));
}

describe('writeDirAtomic', () => {
  it('creates the directory with every file, text and binary, and its parents', () => {
    const p = parent();
    const dir = join(p, 'a', 'b', 'model');
    writeDirAtomic(dir, { 'x.json': '{"k":1}\n', 'w.bin': new Uint8Array([0, 255, 7]) });
    expect(readFileSync(join(dir, 'x.json'), 'utf8')).toBe('{"k":1}\n');
    expect([...readFileSync(join(dir, 'w.bin'))]).toEqual([0, 255, 7]);
    expect(readdirSync(join(p, 'a', 'b'))).toEqual(['model']);
  });

  it('replaces an existing directory whole: files not in the new set are gone', () => {
    const p = parent();
    const dir = join(p, 'model');
    writeDirAtomic(dir, { 'old.txt': 'old', 'shared.txt': 'v1' });
    writeDirAtomic(dir, { 'shared.txt': 'v2', 'new.txt': 'new' });
    expect(listing(dir)).toEqual({ 'shared.txt': 'v2', 'new.txt': 'new' });
    expect(readdirSync(p)).toEqual(['model']);
  });

  it('a failed write leaves an existing directory intact and no temp siblings', () => {
    const p = parent();
    const dir = join(p, 'model');
    writeDirAtomic(dir, { 'keep.txt': 'keep' });
    // a name inside a sub-directory that does not exist fails half-way through the files
    expect(() => writeDirAtomic(dir, { 'a.txt': 'a', 'missing/b.txt': 'b' })).toThrow(/ENOENT/);
    expect(listing(dir)).toEqual({ 'keep.txt': 'keep' });
    expect(readdirSync(p)).toEqual(['model']);
  });

  it('a failed write to a new directory creates nothing', () => {
    const p = parent();
    expect(() => writeDirAtomic(join(p, 'model'), { 'a.txt': 'a', 'missing/b.txt': 'b' })).toThrow();
    expect(readdirSync(p)).toEqual([]);
  });

  it('refuses to replace a regular file with a directory', () => {
    const p = parent();
    const file = join(p, 'notes.txt');
    writeFileSync(file, 'keep me');
    expect(() => writeDirAtomic(file, { 'a.txt': 'a' })).toThrow(InputError);
    expect(() => writeDirAtomic(file, { 'a.txt': 'a' })).toThrow(`${file}: exists and is not a directory`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(p)).toEqual(['notes.txt']);
  });
});

describe('writeFileAtomic', () => {
  it('creates and then replaces a file, leaving no temp siblings', () => {
    const p = parent();
    const file = join(p, 'sub', 'f.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, new Uint8Array([104, 105]));
    expect(readFileSync(file, 'utf8')).toBe('hi');
    expect(readdirSync(join(p, 'sub'))).toEqual(['f.json']);
  });

  it('a failed write leaves the old file and no temp siblings', () => {
    const p = parent();
    const target = join(p, 'dir-in-the-way');
    mkdirSync(join(target, 'inner'), { recursive: true });
    // renaming a file over a non-empty directory fails after the temp file is written
    expect(() => writeFileAtomic(target, 'data')).toThrow();
    expect(readdirSync(p)).toEqual(['dir-in-the-way']);
    expect(readdirSync(target)).toEqual(['inner']);
  });
});
