/**
 * `liquidkan train --activation NAME`: every layer trains on that library entry (the voice
 * bench's fixed-tanh baseline, reproducible from the CLI), with no search or race; a name the
 * library does not hold is refused before any data is read.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classicLibrary } from '../../shared/library/library.js';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

const CSV = join(ROOT, 'tests/fixtures/co2_mauna_loa.csv');
const forecast = (out: string) => [
  ...['train', '--data', CSV, '--target', 'value', '--window', '12', '--horizon', '1'],
  ...['--library', 'classic', '--hidden', '4', '--epochs', '3', '--seed', '2', '--out', out, '--json'],
];

let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-train-activation');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('liquidkan train --activation', () => {
  it('trains every layer hard on the named entry, with no race', async () => {
    const out = join(work, 'sine');
    const r = await runCli([...forecast(out), '--activation', 'sin'], work);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.selection.length).toBeGreaterThan(0);
    for (const s of summary.selection) expect(s.name).toBe('sin');
    expect(summary.race).toEqual([]);
    const sin = classicLibrary().entries.findIndex((e) => e.name === 'sin');
    const saved = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    for (const layer of saved.layers) expect(layer.selector).toMatchObject({ mode: 'hard', chosen: sin });
  });

  it('refuses an entry the library does not hold, naming the ones it does, before reading data', async () => {
    const out = join(work, 'none');
    const r = await runCli(
      [...forecast(out), '--data', join(work, 'missing.csv'), '--activation', 'swish'],
      work,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/activation 'swish' is not in the library \(entries: .*tanh/);
    expect(existsSync(out)).toBe(false);
  });
});
