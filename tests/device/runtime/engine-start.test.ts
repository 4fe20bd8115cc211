/**
 * Starting a model on an engine: 'auto' checks the compiled engine against onnxruntime and the
 * TypeScript reference on the bundle's parity probe and picks the faster of the engines that pass,
 * reporting every candidate's figures; a bundle whose compiled and reference outputs disagree is
 * refused with the largest difference and where; a native addon that crashes on load is a recorded
 * fallback (in the summary), and the device keeps running.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadForDevice } from '../../../device/runtime/bundle.js';
import { startEngine } from '../../../device/runtime/engine-start.js';
import { runDevice } from '../../../device/runtime/run.js';
import { registerEngine } from '../../../shared/engines/engine.js';
import { nativeEngineFor } from '../../../shared/engines/native.js';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { loadProfile } from '../../../shared/profiles.js';
import { tempDir } from '../../cli/cli-harness.js';
import { randomInputs, tinyModel } from '../../helpers/models.js';

const pi4 = loadProfile('pi4');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function bundle(label: string, quant: 'fp32' | 'int8' = 'int8'): string {
  const dir = join(tempDir(label), 'bundle');
  writeBundle(dir, exportModel(tinyModel({ activation: 'tanh', seed: 5 }), { profile: pi4, quant }));
  return dir;
}

/**
 * A bundle from a broken exporter: model.onnx computes another model than weights.bin holds, and
 * the manifest's hashes were written for it (so every file check passes).
 */
function mismatchedBundle(): string {
  const dir = bundle('es-mismatch', 'fp32');
  const other = exportModel(tinyModel({ activation: 'tanh', seed: 6 }), { profile: pi4, quant: 'fp32' });
  const step = other.files['model.onnx'] as Uint8Array;
  writeFileSync(join(dir, 'model.onnx'), step);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.step.file = { ...manifest.step.file, sha256: sha256(step), bytes: step.length };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

function csv(label: string, rows = 30): string {
  const x = randomInputs(9, rows, 3);
  const file = join(tempDir(label), 'in.csv');
  const lines = Array.from({ length: rows }, (_, t) => Array.from(x.subarray(t * 3, t * 3 + 3)).join(','));
  writeFileSync(file, `a,b,c\n${lines.join('\n')}\n`);
  return file;
}

describe('startEngine', () => {
  it('auto: checks the compiled engine, benchmarks it against onnxruntime and reports both', async () => {
    const loaded = await loadForDevice(bundle('es-auto'), { profile: pi4 });
    const { session, info } = await startEngine(loaded, { engine: 'auto', profile: pi4, threads: 1 });
    await session.release();
    expect(info.selfCheck?.map((c) => c.reference).sort()).toEqual(['native', 'typescript']);
    for (const c of info.selfCheck!) {
      expect(c.passed).toBe(true);
      expect(c.maxAbsDiff).toBeLessThanOrEqual(c.tolerance);
      expect(c.steps).toBe(32);
    }
    const ran = info.candidates!.filter((c) => c.status === 'chosen' || c.status === 'passed');
    expect(ran.map((c) => c.engine).sort()).toEqual(['js', 'native']);
    for (const c of ran) expect(c.p50Us).toBeGreaterThan(0);
    const chosen = info.candidates!.find((c) => c.status === 'chosen')!;
    expect(chosen.engine).toBe(info.name);
    // the choice is the faster one of the startup benchmark
    expect(chosen.p50Us).toBeLessThanOrEqual(Math.min(...ran.map((c) => c.p50Us!)));
  });

  it('refuses a bundle whose compiled and reference outputs disagree, with the largest difference and where', async () => {
    const loaded = await loadForDevice(mismatchedBundle(), { profile: pi4 });
    await expect(startEngine(loaded, { engine: 'js', profile: pi4 })).rejects.toThrow(
      /compiled engine refused: differs from the typescript reference by \S+ \(tolerance \S+\) at (output|state_out)\[\d+\] at step \d+ .* over 32 parity steps/,
    );
  });

  it('auto: falls back from a refused compiled engine to onnxruntime and says why', async () => {
    const loaded = await loadForDevice(mismatchedBundle(), { profile: pi4 });
    const { session, info } = await startEngine(loaded, { engine: 'auto', profile: pi4, threads: 1 });
    await session.release();
    expect(info.name).toBe('native');
    expect(info.fallbacks).toEqual([
      { engine: 'js', reason: expect.stringMatching(/typescript reference by/) },
    ]);
    expect(info.candidates).toContainEqual(expect.objectContaining({ engine: 'js', status: 'refused' }));
  });
});

describe('a native addon that crashes while loading', () => {
  it('is probed in a child process: the device runs on the compiled engine and the summary records the fallback', async () => {
    const restore = registerEngine(
      nativeEngineFor(join(import.meta.dirname, '../../fixtures/addons/crash-on-load.cjs')),
    );
    try {
      const summary = await runDevice({
        model: bundle('es-crash'),
        profile: { ...pi4, engines: ['native', 'js'] },
        input: csv('es-crash-in'),
        emit: null,
        log: () => {},
      });
      expect(summary.steps).toBe(30);
      expect(summary.engine.name).toBe('js');
      expect(summary.engine.fallbacks).toEqual([
        { engine: 'native', reason: expect.stringMatching(/probe process was killed by SIGABRT/) },
      ]);
      expect(summary.latency_budget).toMatchObject({
        stepLatencyBudgetUs: 150,
        run: { status: expect.any(String) },
      });
    } finally {
      restore();
    }
  });
});
