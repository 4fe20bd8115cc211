/** `liquidkan library merge` and `library compact`: written atomically, reported, and refused on bad input. */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classicLibrary, loadLibrary, makeLibrary, saveLibrary } from '../../shared/library/library.js';
import { bumpy, cubic, fitted } from '../shared/library/fixtures.js';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

let work: string;
const bump = fitted('bump', bumpy, -2, 3, { count: 5, byTask: { pendulum: 5 } });
const bumpAgain = fitted('bump2', (x) => -4 * bumpy(0.5 * x - 1) + 7, -2, 8, {
  count: 3,
  byTask: { motor: 3 },
});
const cube = fitted('cube', cubic, -1.5, 1.5, { count: 1, byTask: { battery: 1 } });

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-library-merge');
  saveLibrary(join(work, 'kan'), makeLibrary([bumpAgain, cube], 4));
  saveLibrary(join(work, 'big'), makeLibrary([...classicLibrary().entries, bump, cube], 2, classicLibrary()));
  mkdirSync(join(work, 'corrupt'));
  writeFileSync(join(work, 'corrupt', 'library.json'), '{"format": "liquidkan-library", "version": 1');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent('liquidkan library merge', () => {
  it('--json reports version, hash and the counts added and merged, and writes the library', async () => {
    const lib = makeLibrary([...classicLibrary().entries, bump], 2, classicLibrary());
    saveLibrary(join(work, 'a'), lib);
    const r = await runCli(
      ['library', 'merge', join(work, 'a'), join(work, 'kan'), '--out', join(work, 'ab'), '--json'],
      ROOT,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { version: number; hash: string; added: number; merged: number };
    expect(out).toMatchObject({ version: 5, added: 1, merged: 1 });
    const written = loadLibrary(join(work, 'ab'));
    expect(written.hash).toBe(out.hash);
    expect(written.parent).toEqual({ version: 2, hash: lib.hash });
    expect(written.entries.map((e) => e.name).slice(-2)).toEqual(['bump', 'cube']);
    expect(written.entries.find((e) => e.name === 'bump')?.meta.usage.count).toBe(8);
  });

  it('merges with classic and prints a summary', async () => {
    const r = await runCli(
      ['library', 'merge', 'classic', join(work, 'kan'), '--out', join(work, 'ck')],
      ROOT,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^library v5 {2}hash [0-9a-f]{16} {2}12 entries/);
    expect(r.stdout).toContain('added 2 new entries from B, merged 0');
  });

  it('refuses to overwrite an input, and writes nothing', async () => {
    const r = await runCli(
      ['library', 'merge', join(work, 'kan'), 'classic', '--out', join(work, 'kan')],
      ROOT,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to overwrite an input');
    expect(loadLibrary(join(work, 'kan')).version).toBe(4);
  });

  it('names the corrupt file and writes nothing', async () => {
    const r = await runCli(
      ['library', 'merge', 'classic', join(work, 'corrupt'), '--out', join(work, 'x1')],
      ROOT,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(work, 'corrupt', 'library.json'));
    expect(existsSync(join(work, 'x1'))).toBe(false);
  });

  it('needs --out and two libraries', async () => {
    const noOut = await runCli(['library', 'merge', 'classic', 'classic'], ROOT);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out is required');
    const one = await runCli(['library', 'merge', 'classic', '--out', join(work, 'x2')], ROOT);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('library B');
  });
});

describe.concurrent('liquidkan library compact', () => {
  it('--json fits the budget of pi-zero-2w, keeping the builtins', async () => {
    const r = await runCli(
      [
        'library',
        'compact',
        join(work, 'big'),
        '--profile',
        'pi-zero-2w',
        '--out',
        join(work, 'small'),
        '--json',
      ],
      ROOT,
    );
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as {
      version: number;
      budget: number;
      entries: number;
      dropped: string[];
    };
    expect(out).toMatchObject({ version: 3, budget: 16, entries: 12, dropped: [] });
    const lib = loadLibrary(join(work, 'small'));
    expect(lib.entries.length).toBe(12);
    expect(lib.parent?.version).toBe(2);
  });

  it('refuses an unknown profile, naming the known ones, and writes nothing', async () => {
    const r = await runCli(
      ['library', 'compact', 'classic', '--profile', 'toaster', '--out', join(work, 'x3')],
      ROOT,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown firmware profile 'toaster'");
    expect(r.stderr).toContain('pi4');
    expect(existsSync(join(work, 'x3'))).toBe(false);
  });

  it('refuses a model directory as --out', async () => {
    const model = join(work, 'model');
    mkdirSync(model);
    writeFileSync(join(model, 'model.json'), '{}');
    const r = await runCli(['library', 'compact', 'classic', '--profile', 'pi4', '--out', model], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('model directory');
    expect(readdirSync(model)).toEqual(['model.json']);
  });
});
