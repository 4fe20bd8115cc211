/** `liquidkan compare`: every flavour on one data set and budget, in the JSON the issue names. */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-compare');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('liquidkan compare', () => {
  it('reports mlp-relu, mlp-tanh, kan, liquid-tanh and hybrid with error, size and step latency', async () => {
    const r = await runCli(
      [
        'compare',
        '--data',
        'tests/fixtures/nottingham_temp.csv',
        '--target',
        'value',
        '--window',
        '12',
        '--horizon',
        '1',
        '--library',
        'classic',
        '--epochs',
        '4',
        '--budget',
        '400',
        '--seed',
        '2',
        '--json',
      ],
      process.cwd(),
    );
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).rows as {
      model: string;
      test_mse: number;
      params: number;
      step_us: number | null;
    }[];
    expect(rows.map((x) => x.model)).toEqual([
      'persistence',
      'mlp-relu',
      'mlp-tanh',
      'kan',
      'liquid-tanh',
      'hybrid',
    ]);
    for (const row of rows) {
      expect(Number.isFinite(row.test_mse), row.model).toBe(true);
      if (row.model === 'persistence') continue;
      // every flavour sized to the same budget, within a hidden unit's worth
      expect(Math.abs(row.params - 400) / 400, row.model).toBeLessThan(0.35);
      if (row.model !== 'kan') expect(row.step_us!, row.model).toBeGreaterThan(0);
    }
    const persistence = rows[0]!.test_mse;
    expect(rows.find((x) => x.model === 'hybrid')!.test_mse).toBeLessThan(persistence);
  });
});
