/**
 * The loop on a task built to need a shape the library lacks: a one-unit layer must produce
 * J0(3x). The classic library's best single entry falls short of what the soft mixture blends,
 * so the layer is hungry; its job becomes a new entry through discovery, and the layer retrained
 * with the grown library picks that entry and gets much better.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discover } from '../../../cloud/discovery/discover.js';
import { jobTask } from '../../../cloud/discovery/job-task.js';
import { besselJ0 } from '../../../cloud/discovery/special.js';
import { evaluateMse } from '../../../cloud/train/evaluate.js';
import { JOB_FORMAT, preActivationSamples, writeDiscoveryJob } from '../../../cloud/train/hunger.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import type { WindowSet } from '../../../cloud/train/windows.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { mixtureCurve } from '../../../shared/model/mixture.js';
import { Rng } from '../../../shared/numeric/rng.js';

function besselSet(seed: number, n: number): WindowSet {
  const rng = new Rng(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform(-2, 2);
    y[i] = besselJ0(3 * x[i]!);
  }
  return { x, y, last: new Float64Array(n), n, window: 1, inputs: 1, outputs: 1 };
}

const dir = mkdtempSync(join(tmpdir(), 'lk-hunger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hunger → discovery → a better layer', () => {
  it('closes the loop on a task that needs J0', async () => {
    const data = { train: besselSet(1, 600), val: besselSet(2, 200) };
    const test = besselSet(3, 400);
    const opts = { seed: 1, epochs: 60, lr: 1e-2 };
    const make = (library = classicLibrary()) =>
      initModel({ library, inputs: 1, hidden: 1, outputs: 1, seed: 1, liquidLayers: 0 });

    const before = trainHybrid(make(), data, opts);
    const hunger = before.hunger[0]!;
    expect(hunger.hungry).toBe(true);
    expect(hunger.bestSingleLoss).toBeGreaterThan(10 * hunger.mixtureLoss);
    const testBefore = evaluateMse(before.model, test);

    const soft = before.softModel!;
    const u = preActivationSamples(soft, 0, data.train, 512);
    const file = join(dir, 'job.json');
    writeDiscoveryJob(file, {
      format: JOB_FORMAT,
      formatVersion: 1,
      task: 'bessel',
      layer: 0,
      seed: 1,
      library: { version: soft.library.version, hash: soft.library.hash },
      reason: { entropy: hunger.entropy, gap: hunger.gap, bestSingle: hunger.bestSingle.name },
      samples: { u: Array.from(u), phi: Array.from(mixtureCurve(soft, 0, u)) },
    });
    const grown = await discover({
      tasks: [jobTask(file)],
      source: 'bessel',
      library: classicLibrary(),
      seed: 0,
      measureCost: false,
    });
    expect(grown.added.length).toBe(1);
    const entry = grown.added[0]!;
    expect(['chebyshev', 'rational']).toContain(entry.form);

    const after = trainHybrid(make(grown.library), data, opts);
    const chosen = after.model.layers[0]!.selector;
    expect(chosen.candidates[chosen.chosen]).toBe(entry.id);
    const testAfter = evaluateMse(after.model, test);
    expect(testAfter).toBeLessThan(testBefore / 10);
  });
});
