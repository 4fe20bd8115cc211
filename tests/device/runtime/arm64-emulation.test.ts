/**
 * The arm64 bundle (`npm run build:device -- --arch arm64`) runs a model under user-mode emulation
 * (qemu-aarch64-static with the npm registry's arm64 Node, scripts/fetch-arm64-node.mjs) on the
 * compiled engine and on native onnxruntime-node, and every prediction matches the x64 bundle's
 * on the same engine within 1e-4.
 *
 * Two things emulation needs, which a board does not:
 * - qemu 7.2 passes the host's /proc/cpuinfo through, and onnxruntime-node's CPU detection crashes
 *   on an x86 one; qemu opens an absolute guest path under its -L prefix first, so an arm64
 *   cpuinfo (a Pi 4's) at <prefix>/proc/cpuinfo is what the addon reads.
 * - without binfmt_misc the host cannot exec an arm64 binary, so the device's native probe child
 *   (shared/engines/native-probe.ts spawns process.execPath) would fail to start; a preload sets
 *   process.execPath to a host script that starts the arm64 Node under qemu, as binfmt_misc would.
 *
 * About 18 s of CPU (two emulated device runs, started together); 40 s of wall time with the
 * load average at 10 on 2 cores, 95 s at 20-35. The timeouts leave room for a loaded machine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arm64NodeBinary } from '../../../scripts/fetch-arm64-node.mjs';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { loadProfile } from '../../../shared/profiles.js';
import { ROOT } from '../../cli/cli-harness.js';
import { TOOLS } from '../../helpers/system-tools.js';

const run = promisify(execFile);
const missing = TOOLS.qemuArm64();
const work = mkdtempSync(join(tmpdir(), 'lk-arm64-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A Raspberry Pi 4's /proc/cpuinfo (Cortex-A72, four cores). */
const PI4_CPUINFO = [0, 1, 2, 3]
  .map(
    (i) =>
      `processor\t: ${i}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n` +
      'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n',
  )
  .join('\n');

function buildBoard(arch: string): string {
  const out = join(work, `build-${arch}`);
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-device.mjs'), '--arch', arch, '--out', out], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  // copied into an empty directory, as on a board
  const board = join(work, `board-${arch}`, 'liquidkan');
  mkdirSync(join(work, `board-${arch}`));
  cpSync(out, board, { recursive: true });
  rmSync(out, { recursive: true, force: true });
  return board;
}

let bundle: string;
let csv: string;
let emulatedNode: string;
let preload: string;
beforeAll(() => {
  if (missing) return;
  const model = initModel({
    library: classicLibrary(),
    inputs: 1,
    hidden: 8,
    outputs: 1,
    seed: 3,
    activation: 'tanh',
  });
  bundle = join(work, 'bundle');
  writeBundle(bundle, exportModel(model, { profile: loadProfile('pi4'), quant: 'fp32' }));
  csv = join(work, 'series.csv');
  const rows = Array.from({ length: 24 }, (_, i) => `${Math.sin(i / 3).toFixed(4)}`);
  writeFileSync(csv, `value\n${rows.join('\n')}\n`);
  const prefix = join(work, 'qemu-prefix');
  mkdirSync(join(prefix, 'proc'), { recursive: true });
  writeFileSync(join(prefix, 'proc', 'cpuinfo'), PI4_CPUINFO);
  emulatedNode = join(work, 'node-arm64');
  writeFileSync(
    emulatedNode,
    `#!/bin/sh\nexec qemu-aarch64-static -L '${prefix}' '${arm64NodeBinary()}' "$@"\n`,
  );
  chmodSync(emulatedNode, 0o755);
  preload = join(work, 'exec-path.cjs');
  writeFileSync(preload, `process.execPath = ${JSON.stringify(emulatedNode)};\n`);
});

/** Runs the board's launcher on `node` and returns each step's outputs and the summary. */
async function device(node: string, board: string, engine: string, env: NodeJS.ProcessEnv = {}) {
  const { stdout } = await run(
    node,
    [
      join(board, 'liquidkan-device.mjs'),
      'device',
      ...['--model', bundle, '--profile', 'pi4', '--input', csv, '--target', 'value', '--horizon', '1'],
      ...['--engine', engine, '--threads', '1', '--no-adapt-tau', '--no-latency-check', '--json'],
    ],
    { cwd: join(board, '..'), env: { ...process.env, ...env }, timeout: 200_000 },
  );
  const lines = stdout.trim().split('\n');
  const summary = JSON.parse(lines.pop()!);
  const steps = lines.map((l) => JSON.parse(l).y as number[]);
  return { summary, steps };
}

describe.skipIf(missing)('the arm64 bundle under qemu-aarch64-static', () => {
  it('runs the compiled engine and native onnxruntime-node and matches x64 within 1e-4', async () => {
    const arm = buildBoard('arm64');
    const x64 = buildBoard('x64');
    const emulated = { NODE_OPTIONS: `--require ${preload}` };
    const [armJs, armNative, x64Js, x64Native] = await Promise.all([
      device(emulatedNode, arm, 'js', emulated),
      device(emulatedNode, arm, 'native', emulated),
      device(process.execPath, x64, 'js'),
      device(process.execPath, x64, 'native'),
    ]);
    for (const [name, emu, host] of [
      ['js', armJs, x64Js],
      ['native', armNative, x64Native],
    ] as const) {
      expect(emu.summary.engine.name, name).toBe(name);
      expect(emu.summary.engine.fallbacks, name).toEqual([]);
      expect(emu.steps.length, name).toBe(24);
      expect(host.steps.length, name).toBe(24);
      let worst = 0;
      emu.steps.forEach((y, t) => {
        y.forEach((v, j) => {
          worst = Math.max(worst, Math.abs(v - host.steps[t]![j]!));
        });
      });
      expect(worst, `${name}: largest arm64 − x64 difference`).toBeLessThan(1e-4);
    }
    // the model does something: the predictions are not all equal
    expect(new Set(armNative.steps.map((y) => y[0]!.toFixed(6))).size).toBeGreaterThan(10);
  }, 300_000);
});
