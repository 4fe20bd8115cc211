/**
 * The device refuses what it must not run: a bundle whose files do not match the manifest
 * (sha256, size), a bundle for another profile, a model over the profile's size budget, a step
 * latency that can never meet the budget; and what it runs agrees with the TypeScript reference.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadForDevice } from '../../../device/runtime/bundle.js';
import { checkLatencyBudget, withRunLatency } from '../../../device/runtime/engine-start.js';
import { runDevice } from '../../../device/runtime/run.js';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { runSequence } from '../../../shared/model/reference.js';
import { saveModelDir } from '../../../shared/model/store.js';
import { loadProfile } from '../../../shared/profiles.js';
import { tempDir } from '../../cli/cli-harness.js';
import { randomInputs, tinyModel } from '../../helpers/models.js';

const pi4 = loadProfile('pi4');

function bundleDir(label: string) {
  const dir = join(tempDir(label), 'bundle');
  writeBundle(dir, exportModel(tinyModel({ activation: 'tanh' }), { profile: pi4, quant: 'fp32' }));
  return dir;
}

describe('loadForDevice', () => {
  it('refuses a step graph whose sha256 does not match the manifest', async () => {
    const dir = bundleDir('dev-sha');
    const file = join(dir, 'model.onnx');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    await expect(loadForDevice(dir, { profile: pi4 })).rejects.toThrow(
      /model\.onnx: sha256 .* does not match manifest\.json step\.file\.sha256/,
    );
  });

  it('refuses a truncated step graph by its size', async () => {
    const dir = bundleDir('dev-trunc');
    const file = join(dir, 'model.onnx');
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    await expect(loadForDevice(dir, { profile: pi4 })).rejects.toThrow(
      /is 100 bytes, manifest\.json step\.file\.bytes says \d+ \(truncated/,
    );
  });

  it('refuses a bundle exported for another profile', async () => {
    await expect(loadForDevice(bundleDir('dev-prof'), { profile: loadProfile('pi5') })).rejects.toThrow(
      /exported for profile 'pi4', this device runs 'pi5'/,
    );
  });

  it('exports a model directory for the profile and refuses one over its size budget', async () => {
    const dir = join(tempDir('dev-dir'), 'model');
    saveModelDir(dir, tinyModel({ activation: 'tanh' }));
    expect((await loadForDevice(dir, { profile: pi4, quant: 'fp32' })).source).toBe('model-dir');
    const tiny = { ...pi4, name: 'tiny', modelSizeBudgetBytes: 256 };
    await expect(loadForDevice(dir, { profile: tiny })).rejects.toThrow(
      /over profile 'tiny' budget of 256 bytes/,
    );
  });
});

describe('checkLatencyBudget', () => {
  // the calibrations a busy or a slow board would measure, in order (timing is never measured in tests)
  const measured = (figures: { p50: number; p99: number }[]) => {
    let i = 0;
    return async () => figures[Math.min(i++, figures.length - 1)]!;
  };
  const session = {} as never;

  it('measures a miss again and runs when the next calibration meets the budget (a busy machine)', async () => {
    const r = await checkLatencyBudget(session, 1, pi4, 'native', {
      refuse: true,
      calibrate: measured([
        { p50: 154.6, p99: 900 },
        { p50: 80, p99: 120 },
      ]),
    });
    expect(r).toMatchObject({ status: 'within', calibrations: 2, stepLatencyBudgetUs: 150 });
    expect(r.calibration.p50).toBe(80);
  });

  it('keeps running on a persistent miss and reports it with the figures', async () => {
    const r = await checkLatencyBudget(session, 1, pi4, 'native', {
      refuse: true,
      calibrate: measured([{ p50: 154.6, p99: 282 }]),
    });
    expect(r).toMatchObject({ status: 'over', calibrations: 3, calibration: { p50: 154.6, p99: 282 } });
    expect(withRunLatency(r, { p50: 140, p99: 260 }).run).toEqual({ p50: 140, p99: 260, status: 'within' });
  });

  it('keeps running on a wide miss while the calibration is noisy', async () => {
    const r = await checkLatencyBudget(session, 1, pi4, 'wasm', {
      refuse: true,
      calibrate: measured([{ p50: 600, p99: 4000 }]),
    });
    expect(r.status).toBe('over');
  });

  it('refuses a model that misses widely on every quiet calibration, naming the figures', async () => {
    await expect(
      checkLatencyBudget(session, 1, pi4, 'native', {
        refuse: true,
        calibrate: measured([{ p50: 900, p99: 1200 }]),
      }),
    ).rejects.toThrow(
      /p50 900\.0 µs on the native engine is over 3x profile 'pi4' stepLatencyBudgetUs 150 in 3 quiet calibrations/,
    );
    const r = await checkLatencyBudget(session, 1, pi4, 'native', {
      refuse: false,
      calibrate: measured([{ p50: 900, p99: 1200 }]),
    });
    expect(r.status).toBe('over');
  });
});

describe('runDevice', () => {
  it('agrees with the TypeScript reference on every step (fp32, every engine)', async () => {
    const model = tinyModel({ activation: 'tanh', seed: 11 });
    const work = tempDir('dev-ref');
    const dir = join(work, 'model');
    saveModelDir(dir, model);
    const T = 40;
    const x = randomInputs(3, T, model.inputs);
    const rows = Array.from({ length: T }, (_, t) => Array.from(x.subarray(t * 3, t * 3 + 3)).join(','));
    writeFileSync(join(work, 'in.csv'), `a,b,c\n${rows.join('\n')}\n`);
    const ref = runSequence(model, x);
    for (const engine of ['native', 'wasm', 'js'] as const) {
      const lines: string[] = [];
      const summary = await runDevice({
        model: dir,
        profile: pi4,
        quant: 'fp32',
        engine,
        threads: 1,
        input: join(work, 'in.csv'),
        latencyCheck: false,
        emit: (l) => lines.push(l),
        log: () => {},
      });
      expect(summary.steps).toBe(T);
      expect(summary.engine.name).toBe(engine);
      const y = lines.flatMap((l) => (JSON.parse(l) as { y: number[] }).y);
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - y[i]!));
      expect(maxDiff, engine).toBeLessThan(1e-4);
    }
  });
});
