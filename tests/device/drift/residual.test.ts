/**
 * Drift that sees the error: the residual normalised by the model's own streaming test error
 * (device/drift/residual.ts, DriftMonitor with testMse), alone and in a device run whose
 * forecast runs away from the first step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriftMonitor } from '../../../device/drift/monitor.js';
import { ResidualDetector } from '../../../device/drift/residual.js';
import type { DriftEvent } from '../../../device/drift/types.js';
import { runDevice } from '../../../device/runtime/run.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { saveModelDir } from '../../../shared/model/store.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { loadProfile } from '../../../shared/profiles.js';
import { tempDir } from '../../cli/cli-harness.js';

const TEST_RMS = 0.3;

describe('residual detector', () => {
  it('stays quiet while the error is what testing measured, over 20,000 steps', () => {
    const d = new ResidualDetector({ testMse: TEST_RMS ** 2 });
    const rng = new Rng(1);
    let events = 0;
    for (let t = 0; t < 20_000; t++) if (d.update(rng.normal() * TEST_RMS, t)) events++;
    expect(events).toBe(0);
  });

  it('raises an event within 50 steps of the error growing tenfold', () => {
    const monitor = new DriftMonitor(1, { testMse: TEST_RMS ** 2 });
    const rng = new Rng(2);
    const shift = 3000;
    let first: DriftEvent | null = null;
    for (let t = 0; t < shift + 200 && !first; t++) {
      const e = rng.normal() * TEST_RMS * (t < shift ? 1 : 10);
      const events = monitor.update(e, [0.5], t);
      const err = events.find((ev) => ev.detector === 'residual');
      if (err) first = err;
    }
    expect(first).not.toBeNull();
    expect(first!.step).toBeGreaterThanOrEqual(shift);
    expect(first!.step - shift).toBeLessThan(50);
  });

  it('without the test error the monitor has no residual detector (warm-up scale as before)', () => {
    expect(new DriftMonitor(1).residual).toBeNull();
    expect(new DriftMonitor(1, { testMse: TEST_RMS ** 2 }).errorScale).toBeCloseTo(TEST_RMS, 12);
  });
});

describe('a device run whose forecast runs away', () => {
  it('raises a residual drift event, told to the observer (the telemetry path), never silence', async () => {
    // identity liquid layer with a recurrence far past contraction: the state grows from step 0
    const base = initModel({
      library: classicLibrary(),
      inputs: 1,
      hidden: 4,
      outputs: 1,
      seed: 1,
      activation: 'identity',
    });
    const W = base.params.get('L1.W')!;
    W.fill(0);
    for (let i = 0; i < 4; i++) W[i * 4 + i] = 3;
    const model = {
      ...base,
      residualInput: 0,
      scaling: { inputMean: [36.7], inputStd: [0.2], outputMean: [36.7], outputStd: [0.2] },
    };
    const work = tempDir('drift-runaway');
    const dir = join(work, 'model');
    const record = { task: 'forecast', target: 'value', inputs: ['value'], horizon: 1, testMse: 0.006 };
    saveModelDir(dir, model, 'test', { 'training.json': `${JSON.stringify(record)}\n` });
    const rows = Array.from({ length: 114 }, (_, t) => (36.7 + 0.2 * Math.sin(t / 4)).toFixed(3));
    writeFileSync(join(work, 'temp.csv'), `value\n${rows.join('\n')}\n`);
    const told: DriftEvent[] = [];
    const summary = await runDevice({
      model: dir,
      profile: loadProfile('pi4'),
      quant: 'fp32',
      engine: 'native',
      threads: 1,
      input: join(work, 'temp.csv'),
      target: ['value'],
      adaptTau: false,
      latencyCheck: false,
      emit: null,
      log: () => {},
      observer: { onDrift: (e) => told.push(e) },
    });
    expect(summary.steps).toBe(114);
    const residual = summary.drift_events.filter((e) => e.detector === 'residual');
    expect(residual.length).toBeGreaterThan(0);
    expect(residual[0]!.step).toBeLessThan(50);
    expect(told.some((e) => e.detector === 'residual')).toBe(true);
  });
});
