/**
 * `npm run build:device`: the board's folder (one esbuild bundle, the launcher, the profiles and
 * onnxruntime-node with linux arm64 and x64 binaries only) runs a model on a CSV by itself,
 * resolving nothing from the project's node_modules.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { loadProfile } from '../../../shared/profiles.js';
import { ROOT } from '../../cli/cli-harness.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'lk-device-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run build:device', () => {
  it('builds a self-contained folder that runs a model with onnxruntime-node', async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-device.mjs')], { cwd: ROOT, stdio: 'pipe' });
    // copied away from the checkout, so nothing can come from the project's node_modules
    const board = join(work, 'board');
    cpSync(join(ROOT, 'dist', 'device'), board, { recursive: true });
    const js = statSync(join(board, 'liquidkan-device.js')).size;
    expect(js).toBeLessThan(2 * 1024 * 1024);
    // no trainer on the board (export measures held-out error through cloud/train/held-out.ts)
    const code = readFileSync(join(board, 'liquidkan-device.js'), 'utf8');
    for (const trainerOnly of ['raceLibrary', 'successive halving', 'searchSelectors'])
      expect(code.includes(trainerOnly), trainerOnly).toBe(false);
    const bins = join(board, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    if (existsSync(bins)) {
      expect(readdirSync(bins)).toEqual(['linux']);
      expect(readdirSync(join(bins, 'linux')).sort()).toEqual(['arm64', 'x64']);
    }

    const model = initModel({
      library: classicLibrary(),
      inputs: 1,
      hidden: 8,
      outputs: 1,
      seed: 3,
      activation: 'tanh',
    });
    const bundle = join(work, 'bundle');
    writeBundle(bundle, exportModel(model, { profile: loadProfile('pi4'), quant: 'int8' }));
    const csv = join(work, 'series.csv');
    const rows = Array.from({ length: 64 }, (_, i) => `${Math.sin(i / 5).toFixed(4)}`);
    writeFileSync(csv, `value\n${rows.join('\n')}\nnan\n`);
    const { stdout } = await run(
      process.execPath,
      [
        join(board, 'liquidkan-device.mjs'),
        'device',
        '--model',
        bundle,
        '--profile',
        'pi4',
        '--input',
        csv,
        '--target',
        'value',
        '--horizon',
        '1',
        '--threads',
        '1',
        '--no-latency-check',
        '--quiet',
        '--json',
      ],
      { cwd: work },
    );
    const summary = JSON.parse(stdout);
    expect(summary.steps).toBe(64);
    expect(summary.skipped_samples.non_finite).toBe(1);
    expect(summary.engine.name).toBe('native');
    expect(Number.isFinite(summary.mse_first_half)).toBe(true);
  }, 120_000);
});
