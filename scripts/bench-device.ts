/**
 * The device runtime per firmware profile: step latency of a 32-neuron, 8-input hybrid through
 * the runtime's StepSession under the profile's thread setting and default precision, and the
 * process's resident memory after loading it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadForDevice } from '../device/runtime/bundle.js';
import { calibrate, startEngine } from '../device/runtime/engine-start.js';
import { StepSession } from '../device/runtime/step-session.js';
import { exportModel, writeBundle } from '../shared/export/export.js';
import { classicLibrary } from '../shared/library/library.js';
import { initModel } from '../shared/model/init.js';
import { listProfiles, loadProfile } from '../shared/profiles.js';

export async function benchDevice(): Promise<Record<string, unknown>> {
  const model = initModel({
    library: classicLibrary(),
    inputs: 8,
    hidden: 32,
    outputs: 1,
    seed: 1,
    activation: 'tanh',
  });
  const rows: Record<string, unknown>[] = [];
  for (const name of listProfiles()) {
    const profile = loadProfile(name);
    const quant = profile.quantization.default;
    const dir = join(mkdtempSync(join(tmpdir(), 'lk-bench-device-')), 'bundle');
    writeBundle(dir, exportModel(model, { profile, quant }));
    const loaded = await loadForDevice(dir, { profile });
    const { session, info } = await startEngine(loaded, {
      engine: 'auto',
      profile,
    });
    const step = new StepSession(session, {
      inputs: 8,
      outputs: 1,
      stateWidth: loaded.manifest.model.stateWidth,
    });
    const l = await calibrate(step, 1, 2000);
    rows.push({
      profile: name,
      quant,
      engine: info.name,
      threads: info.threads,
      p50_us: Math.round(l.p50 * 10) / 10,
      p99_us: Math.round(l.p99 * 10) / 10,
      budget_us: profile.stepLatencyBudgetUs,
      rss_mb: Math.round(process.memoryUsage().rss / 1e5) / 10,
    });
    await session.release();
  }
  return { model: '32 neurons, 8 inputs, hard tanh; engine order and threads from each profile', rows };
}
