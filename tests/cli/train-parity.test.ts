/**
 * Parity as a test: what `train` reports is what `liquidkan device` measures when it runs the
 * model one sample at a time over the same file: the streaming MSE on the held-out tail (the
 * last 15% of label rows), equal within 1% at fp32 and within the manifest's stated increase
 * at int8. The bundles run on their own: copied to an empty directory, without the training
 * directory's training.json, the device reads the input columns, horizon and drift scale from the
 * manifest. Also: a bundle on a CSV lacking its input column, and a series too short for two
 * truncation segments plus the held-out part.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

const CSV = join(ROOT, 'tests/fixtures/nottingham_temp.csv');
let work: string;
/** Bundles copied here, each into its own empty directory, far from the model directory. */
let elsewhere: string;
let trained: { test_mse: number; baseline_persistence_mse: number; test_from_row: number };

/** The device's per-step forecasts scored on the last 15% of label rows (horizon 1). */
function tailMse(stdout: string): number {
  const preds = stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { y: number[] }).y[0]!);
  const ys = readFileSync(CSV, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',')[1]));
  expect(preds.length).toBe(ys.length);
  const from = trained.test_from_row;
  expect(from).toBe(Math.floor(ys.length * 0.85));
  let se = 0;
  for (let r = from; r < ys.length; r++) se += (preds[r - 1]! - ys[r]!) ** 2;
  return se / (ys.length - from);
}

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-parity');
  const r = await runCli(
    [
      'train',
      '--data',
      CSV,
      '--target',
      'value',
      '--window',
      '12',
      '--horizon',
      '1',
      '--library',
      'classic',
      '--hidden',
      '6',
      '--epochs',
      '6',
      '--seed',
      '0',
      '--out',
      'm',
      '--json',
    ],
    work,
  );
  expect(r.code, r.stderr).toBe(0);
  trained = JSON.parse(r.stdout);
  elsewhere = tempDir('cli-parity-bundles');
}, 120_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});

interface TestFigure {
  metric: string;
  fp32: number;
  value: number;
  relativeIncrease: number;
}

/** `liquidkan export` at `quant`, the bundle then copied alone to an empty directory. */
async function exportAlone(quant: 'fp32' | 'int8'): Promise<{ dir: string; test: TestFigure }> {
  const e = await runCli(
    ['export', '--model', 'm', '--profile', 'pi4', '--quant', quant, '--out', `b-${quant}`, '--json'],
    work,
  );
  expect(e.code, e.stderr).toBe(0);
  const manifest = JSON.parse(e.stdout).manifest;
  expect(manifest.training).toEqual({
    task: 'forecast',
    inputs: ['value'],
    target: 'value',
    horizon: 1,
    testError: {
      metric: 'test_mse',
      value: trained.test_mse,
      units: 'target_squared',
      evaluation: 'streaming',
    },
  });
  const dir = join(elsewhere, quant);
  cpSync(join(work, `b-${quant}`), dir, { recursive: true });
  expect(existsSync(join(dir, 'training.json'))).toBe(false);
  return { dir, test: manifest.accuracy.test };
}

const device = (model: string, ...extra: string[]) =>
  runCli(
    [
      'device',
      '--model',
      model,
      '--profile',
      'pi4',
      '--input',
      CSV,
      '--target',
      'value',
      '--no-adapt-tau',
      '--no-latency-check',
      '--engine',
      'native',
      ...extra,
    ],
    work,
  );

describe('train and device agree on the held-out tail', () => {
  it('fp32: the device streaming MSE equals train test_mse within 1%', async () => {
    expect(trained.test_mse).toBeLessThan(trained.baseline_persistence_mse);
    const r = await device('m', '--quant', 'fp32');
    expect(r.code, r.stderr).toBe(0);
    expect(Math.abs(tailMse(r.stdout) / trained.test_mse - 1)).toBeLessThan(0.01);
  }, 60_000);

  it("fp32 bundle on its own: the device's tail MSE is the manifest's within 1%", async () => {
    const { dir, test } = await exportAlone('fp32');
    expect(test.metric).toBe('test_mse');
    expect(Math.abs(test.fp32 / trained.test_mse - 1)).toBeLessThan(1e-6);
    // no --horizon, no training.json: the manifest names the column and the horizon
    const r = await device(dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const summary = JSON.parse(lines.pop()!);
    expect(Math.abs(tailMse(lines.join('\n')) / test.value - 1)).toBeLessThan(0.01);
    // the residual detector is on, scaled by the manifest's figure at this precision
    expect(summary.residual_test_mse).toBe(test.value);
  }, 60_000);

  it("int8 bundle on its own: the device's error is the manifest's, within its stated increase over fp32", async () => {
    const { dir, test } = await exportAlone('int8');
    expect(test.metric).toBe('test_mse');
    expect(Math.abs(test.fp32 / trained.test_mse - 1)).toBeLessThan(1e-6);
    const r = await device(dir);
    expect(r.code, r.stderr).toBe(0);
    const mse = tailMse(r.stdout);
    expect(Math.abs(mse / test.value - 1)).toBeLessThan(0.01);
    expect(Math.abs(mse / trained.test_mse - 1)).toBeLessThanOrEqual(Math.abs(test.relativeIncrease) + 0.01);
  }, 60_000);
});

describe('a bundle refuses', () => {
  it('a CSV without the input column its manifest names, with exit 2 naming the column', async () => {
    const dir = join(elsewhere, 'int8');
    if (!existsSync(dir)) await exportAlone('int8');
    const rows = readFileSync(CSV, 'utf8').trim().split('\n').slice(1);
    writeFileSync(join(work, 'renamed.csv'), `t,temp\n${rows.join('\n')}\n`);
    const r = await runCli(
      [
        'device',
        '--model',
        dir,
        '--profile',
        'pi4',
        '--input',
        'renamed.csv',
        '--target',
        'temp',
        '--no-latency-check',
        '--engine',
        'native',
        '--quiet',
      ],
      work,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /renamed\.csv: no input column 'value'; the model reads value \(named by manifest\.json training\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('train refuses', () => {
  it('a series too short for two segments plus the held-out part, with exit 2', async () => {
    const rows = Array.from({ length: 34 }, (_, i) => `${i},${Math.sin(i)}`);
    writeFileSync(join(work, 'short.csv'), `t,value\n${rows.join('\n')}\n`);
    const r = await runCli(
      [
        'train',
        '--data',
        'short.csv',
        '--target',
        'value',
        '--window',
        '12',
        '--horizon',
        '1',
        '--library',
        'classic',
        '--out',
        'short-model',
      ],
      work,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /short\.csv: 34 rows hold out the last \d+ .* two segments of --window 12 need 24/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
