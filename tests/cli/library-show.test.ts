/** `liquidkan library show classic [--json]` lists the ten built-in activations. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classicLibrary } from '../../shared/library/library.js';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

const CLASSIC = [
  'identity',
  'relu',
  'leaky_relu',
  'tanh',
  'sigmoid',
  'silu',
  'gelu',
  'sin',
  'softplus',
  'gaussian',
];

let work: string;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-library');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent('liquidkan library show', () => {
  it('--json prints the version, hash and the 10 classic entries in order', async () => {
    const r = await runCli(['library', 'show', 'classic', '--json'], ROOT);
    expect(r.code).toBe(0);
    const lib = JSON.parse(r.stdout) as {
      version: number;
      hash: string;
      entries: { id: string; name: string }[];
    };
    expect(lib.version).toBe(1);
    expect(lib.hash).toBe(classicLibrary().hash);
    expect(lib.entries.map((e) => e.name)).toEqual(CLASSIC);
    for (const e of lib.entries) expect(e.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('prints a table with one line per entry', async () => {
    const r = await runCli(['library', 'show', 'classic'], ROOT);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^library v1 {2}hash [0-9a-f]{16} {2}10 entries$/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[1])).toEqual(CLASSIC);
  });

  it('reads the library.json of a model directory', async () => {
    const init = await runCli(
      [
        'init',
        '--library',
        'classic',
        '--inputs',
        '1',
        '--hidden',
        '2',
        '--outputs',
        '1',
        '--seed',
        '0',
        '--out',
        'm',
      ],
      work,
    );
    expect(init.code).toBe(0);
    const r = await runCli(['library', 'show', join(work, 'm'), '--json'], ROOT);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { hash: string }).hash).toBe(classicLibrary().hash);
  });

  it('without a library name it says what to name and exits 2', async () => {
    const r = await runCli(['library', 'show'], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name a library');
  });
});
