/**
 * `liquidkan discover` from data, from a family and from a hunger job written by `train`:
 * the JSON contract, merging into a copy of a given library, and bad input that writes nothing.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { besselJ0 } from '../../cloud/discovery/special.js';
import { loadLibrary } from '../../shared/library/library.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-discover');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function csv(name: string, header: string, rows: string[]): string {
  const file = join(work, name);
  writeFileSync(file, `${header}\n${rows.join('\n')}\n`);
  return file;
}

describe('liquidkan discover', () => {
  it('learns from user data and merges new entries into a copy of --library', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => {
      const a = -1 + (2 * ((i * 37) % 300)) / 299;
      const b = -1 + (2 * ((i * 91) % 300)) / 299;
      return `${a},${b},${Math.exp(1.5 * a) + 0.3 * b}`;
    });
    const data = csv('growth.csv', 'a,b,y', rows);
    const base = join(work, 'base');
    const r1 = await runCli(
      ['discover', '--task', 'audio/mel', '--steps', '10', '--out', base, '--json'],
      work,
    );
    expect(r1.code, r1.stderr).toBe(0);
    const out = join(work, 'grown');
    const r = await runCli(
      [
        'discover',
        '--data',
        data,
        '--target',
        'y',
        '--width',
        '2,1',
        '--library',
        base,
        '--out',
        out,
        '--json',
      ],
      work,
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.test_rmse).toBeLessThan(0.05);
    // held out: 300 rows → 60 test, 30 validation, 210 train; the error in y's units and standardised
    expect(j.rows).toEqual({ train: 210, validation: 30, test: 60 });
    expect(j.test_rmse_standardised).toBeGreaterThan(0);
    expect(j.test_rmse / j.test_rmse_standardised).toBeGreaterThan(0.5); // y's standard deviation
    expect(j.formula).toMatch(/^y = .*exp\(/);
    expect(j.formula_normalised).toMatch(/^y = /);
    expect(j.version).toBe(3);
    for (const e of j.entries_added) expect(Object.keys(e).sort()).toEqual(['form', 'id', 'name']);
    const grown = loadLibrary(out);
    const parent = loadLibrary(base);
    expect(grown.parent).toEqual({ version: parent.version, hash: parent.hash });
    for (const e of parent.entries) expect(grown.entries.some((g) => g.id === e.id)).toBe(true);
    // the input library is untouched
    expect(loadLibrary(base).hash).toBe(parent.hash);
  });

  it('closes the loop: a hunger job from `train` becomes a library entry', async () => {
    // a series driven by a J0-shaped map: a one-unit liquid layer wants a shape no classic has
    let v = 0.3;
    const rows: string[] = [];
    for (let i = 0; i < 600; i++) {
      rows.push(v.toFixed(6));
      v = 1.6 * besselJ0(3 * v) - 0.3 + 0.02 * Math.sin(i * 0.37);
    }
    const data = csv('j0map.csv', 'value', rows);
    const model = join(work, 'model');
    const t = await runCli(
      [
        'train',
        '--data',
        data,
        '--target',
        'value',
        '--window',
        '2',
        '--horizon',
        '1',
        '--library',
        'classic',
        '--hidden',
        '1',
        '--epochs',
        '30',
        '--seed',
        '1',
        '--out',
        model,
        '--json',
      ],
      work,
    );
    expect(t.code, t.stderr).toBe(0);
    const jobs = JSON.parse(t.stdout).discovery_jobs as string[];
    expect(jobs.length).toBeGreaterThan(0);
    const out = join(work, 'from-job');
    const r = await runCli(['discover', '--job', jobs[0]!, '--library', model, '--out', out, '--json'], work);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tasks[0].task).toMatch(/j0map\.csv-L\d/);
    expect(j.version).toBe(loadLibrary(model).version + 1);
  });

  for (const [label, header, rows, extra, pattern] of [
    [
      'a constant column',
      'a,b,y',
      Array.from({ length: 40 }, (_, i) => `${i},5,${i * 2}`),
      ['--target', 'y'],
      /column 'b' is constant/,
    ],
    [
      'a missing target',
      'a,y',
      Array.from({ length: 40 }, (_, i) => `${i},${i}`),
      ['--target', 'z'],
      /no column 'z'/,
    ],
    [
      'a non-numeric cell',
      'a,y',
      ['1,2', 'x,3', ...Array.from({ length: 40 }, (_, i) => `${i},${i}`)],
      ['--target', 'y'],
      /line 3, column 1/,
    ],
    ['an empty file', 'a,y', [], ['--target', 'y'], /no data rows|has no rows/],
    [
      'fewer rows than the split needs',
      'a,y',
      Array.from({ length: 20 }, (_, i) => `${i},${i * i}`),
      ['--target', 'y'],
      /20 rows are too few for the split \(\d+ train, \d+ validation, \d+ test/,
    ],
    [
      'a test fraction above 0.5',
      'a,y',
      Array.from({ length: 40 }, (_, i) => `${i},${i * i}`),
      ['--target', 'y', '--test-fraction', '0.7'],
      /--test-fraction must be in \(0, 0.5\], got 0.7/,
    ],
    [
      'a test fraction of 0',
      'a,y',
      Array.from({ length: 40 }, (_, i) => `${i},${i * i}`),
      ['--target', 'y', '--test-fraction', '0'],
      /--test-fraction must be in \(0, 0.5\], got 0/,
    ],
    [
      'a width whose input count differs from the CSV',
      'a,b,y',
      Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 11},${i * i}`),
      ['--target', 'y', '--width', '3,2,1'],
      /--width 3,2,1 must start with 2 inputs \(a, b\)/,
    ],
  ] as const) {
    it(`refuses ${label}: exit 2, a clear message, no library written`, async () => {
      const file = csv(`${label.replace(/\W+/g, '_')}.csv`, header, [...rows]);
      const out = join(work, `out-${label.replace(/\W+/g, '_')}`);
      const r = await runCli(['discover', '--data', file, ...extra, '--out', out], work);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('runs one built-in task with --task, --lambda and --test-rows, and draws the KAN with --plot', async () => {
    const out = join(work, 'one-task');
    const plot = join(work, 'plots', 'kan.svg');
    const r = await runCli(
      [
        'discover',
        '--task',
        'sensors/heater',
        '--lambda',
        '0.001',
        '--test-rows',
        '300',
        '--plot',
        plot,
        '--out',
        out,
        '--json',
      ],
      work,
    );
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tasks.map((t: { task: string }) => t.task)).toEqual(['heater']);
    expect(j.rows.test).toBe(300);
    expect(j.formula).toMatch(/tanh\(/);
    expect(j.plot).toBe(plot);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    // one panel per edge of the [2, 1] network, each snapped and labelled with its closed form
    expect(svg.match(/data-state="snapped"/g)?.length).toBe(2);
    expect(svg).toMatch(/<text[^>]*>[^<]*tanh\(/);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
  });

  it('leaves an existing library directory untouched when a run fails', async () => {
    const out = join(work, 'keep');
    const ok = await runCli(['discover', '--task', 'audio/loudness', '--steps', '5', '--out', out], work);
    expect(ok.code, ok.stderr).toBe(0);
    const before = readFileSync(join(out, 'library.json'), 'utf8');
    const bad = await runCli(['discover', '--family', 'nope', '--out', out], work);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown task family 'nope'/);
    expect(readFileSync(join(out, 'library.json'), 'utf8')).toBe(before);
    expect(readdirSync(work).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
