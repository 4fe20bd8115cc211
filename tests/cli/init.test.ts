/**
 * `liquidkan init --library classic --inputs N --hidden H --outputs M --seed S --out DIR` writes a
 * loadable model directory, and the seed alone decides the weights: same seed, same bytes.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelDir } from '../../shared/model/store.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-init');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function init(seed: number, out: string, extra: string[] = []) {
  return runCli(
    [
      'init',
      '--library',
      'classic',
      '--inputs',
      '3',
      '--hidden',
      '5',
      '--outputs',
      '2',
      '--seed',
      String(seed),
    ].concat(['--out', out], extra),
    work,
  );
}

describe.concurrent('liquidkan init', () => {
  it('writes model.json, weights.bin and library.json with the requested shape', async () => {
    const r = await init(1, 'shape');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote shape: \d+ parameters, 2 layers, library v1$/m);
    expect(readdirSync(join(work, 'shape')).sort()).toEqual(['library.json', 'model.json', 'weights.bin']);
    const model = loadModelDir(join(work, 'shape'));
    expect(model.inputs).toBe(3);
    expect(model.outputs).toBe(2);
    expect(model.seed).toBe(1);
    expect(model.layers.map((l) => [l.kind, l.units])).toEqual([
      ['dense', 5],
      ['liquid', 5],
    ]);
    expect(model.library.entries).toHaveLength(10);
    expect(model.layers[0]!.selector.mode).toBe('soft');
  });

  it('--json prints one summary object and nothing else', async () => {
    const r = await init(2, 'json', ['--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ out: 'json', layers: 2, library: 1 });
    expect(summary['parameters']).toBeGreaterThan(0);
    const weights = readFileSync(join(work, 'json', 'weights.bin'));
    expect(weights.length).toBe((summary['parameters'] as number) * 8);
  });

  it('the same seed gives a byte-identical weights.bin, a different seed a different one', async () => {
    const [a, b, c] = await Promise.all([init(42, 'seed42a'), init(42, 'seed42b'), init(43, 'seed43')]);
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    const wa = readFileSync(join(work, 'seed42a', 'weights.bin'));
    const wb = readFileSync(join(work, 'seed42b', 'weights.bin'));
    const wc = readFileSync(join(work, 'seed43', 'weights.bin'));
    expect(wa.equals(wb)).toBe(true);
    expect(wa.length).toBe(wc.length);
    expect(wa.equals(wc)).toBe(false);
    expect(readFileSync(join(work, 'seed42a', 'model.json'), 'utf8')).toBe(
      readFileSync(join(work, 'seed42b', 'model.json'), 'utf8'),
    );
  });

  it('--activation starts hard on the named entry', async () => {
    const r = await init(3, 'hard', ['--activation', 'tanh', '--liquid-layers', '2']);
    expect(r.code).toBe(0);
    const model = loadModelDir(join(work, 'hard'));
    expect(model.layers.map((l) => l.kind)).toEqual(['dense', 'liquid', 'liquid']);
    for (const l of model.layers) {
      expect(l.selector.mode).toBe('hard');
      const chosen = l.selector.candidates[l.selector.chosen];
      expect(model.library.entries.find((e) => e.id === chosen)!.name).toBe('tanh');
    }
  });
});
