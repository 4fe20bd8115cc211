/**
 * writeDirAtomic swaps directories with two renames (old aside, new in). If the second rename
 * fails, the old directory must be put back: readers see the old model, not none, and no temp
 * sibling is left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { writeDirAtomic } from '../../../shared/io/atomic.js';

const control = vi.hoisted(() => ({ failNextRenameTo: undefined as string | undefined }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    renameSync(from: string, to: string) {
      if (control.failNextRenameTo !== undefined && to === control.failNextRenameTo) {
        control.failNextRenameTo = undefined;
        throw Object.assign(new Error(`EXDEV: simulated failure, rename '${from}' -> '${to}'`), {
          code: 'EXDEV',
        });
      }
      fs.renameSync(from, to);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'liquidkan-atomic-rollback-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeDirAtomic when moving the new directory into place fails', () => {
  it('puts the old directory back and leaves no temp siblings', () => {
    const dir = join(root, 'model');
    writeDirAtomic(dir, { 'weights.bin': 'old weights' });
    control.failNextRenameTo = dir;
    expect(() => writeDirAtomic(dir, { 'weights.bin': 'new weights' })).toThrow(/simulated failure/);
    expect(control.failNextRenameTo).toBeUndefined(); // the failure really happened
    expect(readdirSync(root)).toEqual(['model']);
    expect(readFileSync(join(dir, 'weights.bin'), 'utf8')).toBe('old weights');
  });

  it('a new directory that cannot be moved into place is not created', () => {
    const dir = join(root, 'fresh');
    control.failNextRenameTo = dir;
    expect(() => writeDirAtomic(dir, { 'a.txt': 'a' })).toThrow(/simulated failure/);
    expect(readdirSync(root).filter((f) => f.includes('fresh'))).toEqual([]);
  });
});
