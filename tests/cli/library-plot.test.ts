/** `liquidkan library plot` writes the gallery SVG; `library eval` prints an entry's natural function. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classicLibrary } from '../../shared/library/library.js';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

let work: string;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-library-plot');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent('liquidkan library plot', () => {
  it('writes an SVG with one panel per entry', async () => {
    const file = join(work, 'g', 'classic.svg');
    const r = await runCli(['library', 'plot', 'classic', '--out', file, '--json'], ROOT);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ file, panels: 10, version: 1 });
    const svg = readFileSync(file, 'utf8');
    expect(svg.match(/<g class="panel"/g)).toHaveLength(10);
    for (const e of classicLibrary().entries) expect(svg).toContain(`>${e.name}</text>`);
    expect(svg).not.toContain('NaN');
  });

  it('refuses PNG, naming SVG, and writes nothing', async () => {
    const file = join(work, 'g.png');
    const r = await runCli(['library', 'plot', 'classic', '--out', file], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PNG is not supported.*\.svg/);
    expect(existsSync(file)).toBe(false);
  });

  it('says when the library is missing', async () => {
    const r = await runCli(['library', 'plot', join(work, 'none'), '--out', join(work, 'n.svg')], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no library.json');
    expect(existsSync(join(work, 'n.svg'))).toBe(false);
  });
});

describe.concurrent('liquidkan library eval', () => {
  it('--json gives tanh for the tanh entry, by name or id', async () => {
    const tanh = classicLibrary().entries[3];
    for (const id of ['tanh', tanh.id]) {
      const r = await runCli(['library', 'eval', 'classic', '--id', id, '--x=-3:3:7', '--json'], ROOT);
      expect(r.stderr).toBe('');
      const { x, y } = JSON.parse(r.stdout) as { x: number[]; y: number[] };
      expect(x).toEqual([-3, -2, -1, 0, 1, 2, 3]);
      y.forEach((v, i) => {
        expect(v).toBeCloseTo(Math.tanh(x[i]), 12);
      });
    }
  });

  it('prints x and y columns without --json', async () => {
    const r = await runCli(['library', 'eval', 'classic', '--id', 'relu', '--x', '0:2:3'], ROOT);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').slice(1)).toEqual(['0\t0', '1\t1', '2\t2']);
  });

  it.each([
    ['0:1:1', 'N between 2'],
    ['1:0:5', 'A less than B'],
    ['a:1:5', 'finite numbers'],
    ['0:1', 'three fields'],
    ['0:1:2.5', 'whole number'],
  ])('refuses --x %s naming the flag', async (range, why) => {
    const r = await runCli(['library', 'eval', 'classic', '--id', 'tanh', '--x', range], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--x must be A:B:N');
    expect(r.stderr).toContain(why);
  });

  it('refuses an unknown id, listing the entries', async () => {
    const r = await runCli(['library', 'eval', 'classic', '--id', 'swish', '--x', '0:1:2'], ROOT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no entry with id or name 'swish'");
  });

  it('has help for every subcommand', async () => {
    for (const sub of ['show', 'merge', 'compact', 'plot', 'eval']) {
      const r = await runCli(['library', sub, '--help'], ROOT);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`usage: liquidkan library ${sub}`);
    }
  });
});
