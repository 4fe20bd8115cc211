/**
 * `npm run build:device`: every bundle runs a model when copied to an empty directory, resolving
 * nothing from the project's node_modules: --lite on the compiled engine alone (no onnxruntime
 * shipped), --arch of this machine with onnxruntime-node (that architecture's binaries only) and
 * onnxruntime-web's Node build (the wasm fallback, its few files only, the .wasm compressed). A
 * bundle built for the other architecture stops with a message naming both.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { loadProfile } from '../../../shared/profiles.js';
import { ROOT } from '../../cli/cli-harness.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'lk-device-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const HOST = process.arch === 'arm64' ? 'arm64' : 'x64';
const OTHER = HOST === 'arm64' ? 'x64' : 'arm64';

function size(p: string): number {
  const s = statSync(p);
  return s.isDirectory() ? readdirSync(p).reduce((sum, f) => sum + size(join(p, f)), 0) : s.size;
}

/** Builds with `args` into a build folder, then copies it into an empty directory (the board). */
function buildBoard(label: string, args: string[]): string {
  const out = join(work, `build-${label}`);
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-device.mjs'), ...args, '--out', out], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  const board = join(work, `empty-${label}`, 'liquidkan');
  mkdirSync(join(work, `empty-${label}`));
  cpSync(out, board, { recursive: true });
  rmSync(out, { recursive: true, force: true });
  return board;
}

let bundle: string;
let csv: string;
beforeAll(() => {
  const model = initModel({
    library: classicLibrary(),
    inputs: 1,
    hidden: 8,
    outputs: 1,
    seed: 3,
    activation: 'tanh',
  });
  bundle = join(work, 'bundle');
  writeBundle(bundle, exportModel(model, { profile: loadProfile('pi4'), quant: 'int8' }));
  csv = join(work, 'series.csv');
  const rows = Array.from({ length: 64 }, (_, i) => `${Math.sin(i / 5).toFixed(4)}`);
  writeFileSync(csv, `value\n${rows.join('\n')}\nnan\n`);
});

/** Node's flags the bundle was built to start with (build.json). */
function nodeFlags(board: string): string[] {
  return JSON.parse(readFileSync(join(board, 'build.json'), 'utf8')).nodeFlags;
}

/** Runs the bundle the way deploy/liquidkan-device.service starts it: node, its flags, the launcher. */
async function runBoard(board: string, extra: string[] = []) {
  const { stdout } = await run(
    process.execPath,
    [
      ...nodeFlags(board),
      join(board, 'liquidkan-device.mjs'),
      'device',
      ...['--model', bundle, '--profile', 'pi4', '--input', csv, '--target', 'value', '--horizon', '1'],
      ...['--threads', '1', '--quiet', '--json', ...extra],
    ],
    { cwd: join(board, '..') },
  );
  return JSON.parse(stdout);
}

describe('npm run build:device', () => {
  it('--lite: the compiled engine alone, under 3 MB, runs from an empty directory', async () => {
    const board = buildBoard('lite', ['--lite']);
    expect(existsSync(join(board, 'node_modules'))).toBe(false);
    expect(size(board)).toBeLessThan(3_000_000);
    // every byte of JavaScript is parsed on a board's start-up: the schemas are on zod/mini
    // (shared/zod.ts); one import of classic zod on the device's path adds 400 KB and 6 MiB of RSS
    expect(size(join(board, 'liquidkan-device.js')) + size(join(board, 'chunks'))).toBeLessThan(1024 * 1024);
    const code = readFileSync(join(board, 'liquidkan-device.js'), 'utf8');
    // no trainer on the board (export measures held-out error through cloud/train/held-out.ts)
    for (const trainerOnly of ['raceLibrary', 'successive halving', 'searchSelectors'])
      expect(code.includes(trainerOnly), trainerOnly).toBe(false);
    const summary = await runBoard(board);
    expect(summary.steps).toBe(64);
    expect(summary.skipped_samples.non_finite).toBe(1);
    expect(summary.engine.name).toBe('js');
    expect(summary.engine.selfCheck).toEqual([
      expect.objectContaining({ reference: 'typescript', passed: true }),
    ]);
    // onnxruntime is not in the bundle, and the summary says so rather than failing
    expect(summary.engine.candidates).toContainEqual(
      expect.objectContaining({
        engine: 'native',
        status: 'unavailable',
        reason: expect.stringMatching(/not installed/),
      }),
    );
    expect(Number.isFinite(summary.mse_first_half)).toBe(true);

    // the systemd unit and the launcher's #! line start Node with the bundle's flags
    const flags = nodeFlags(board);
    expect(flags).toContain('--single-threaded');
    const unit = readFileSync(join(ROOT, 'deploy', 'liquidkan-device.service'), 'utf8');
    expect(unit).toContain(`/usr/bin/node ${flags.join(' ')} /opt/liquidkan/liquidkan-device.mjs device`);
    // V8's heap limit is the unit's memory ceiling: it collects harder there instead of being killed
    const oldSpace = flags.find((f) => f.startsWith('--max-old-space-size='))?.split('=')[1];
    expect(unit).toMatch(new RegExp(`^MemoryMax=${oldSpace}M$`, 'm'));
    const launcher = join(board, 'liquidkan-device.mjs');
    expect(readFileSync(launcher, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags.join(' ')}`);
    // and the launcher runs as a program of its own through that line (PATH's node is this one)
    const direct = await run(launcher, ['device', '--help'], {
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
    });
    expect(direct.stdout).toContain('--engine');
  }, 120_000);

  it(`--arch ${HOST}: onnxruntime-node for ${HOST} only and onnxruntime-web's Node files, both engines run`, async () => {
    const board = buildBoard(HOST, ['--arch', HOST]);
    const bins = join(board, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
    expect(readdirSync(bins)).toEqual(['linux']);
    expect(readdirSync(join(bins, 'linux'))).toEqual([HOST]);
    const web = join(board, 'node_modules', 'onnxruntime-web');
    expect(readdirSync(join(web, 'dist')).sort()).toEqual([
      'ort-wasm-simd-threaded.mjs',
      'ort-wasm-simd-threaded.wasm.br',
      'ort.node.min.mjs',
    ]);
    // the 14 MB wasm build ships brotli-compressed and is decompressed in memory by the engine
    expect(size(web)).toBeLessThan(3_000_000);
    for (const engine of ['native', 'wasm']) {
      const summary = await runBoard(board, ['--engine', engine]);
      expect(summary.steps, engine).toBe(64);
      expect(summary.engine.name).toBe(engine);
    }
  }, 180_000);

  it(`--arch ${OTHER} on this ${HOST} machine: stops with a message naming both architectures`, async () => {
    const board = buildBoard(OTHER, ['--arch', OTHER]);
    expect(readdirSync(join(board, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux'))).toEqual([
      OTHER,
    ]);
    const err = await runBoard(board).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain(`built for linux-${OTHER}`);
    expect(err?.stderr).toContain(`this machine is linux-${HOST}`);
  }, 120_000);
});
