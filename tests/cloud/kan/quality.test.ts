/**
 * End-to-end quality, after the KAN paper's "Hello KAN" example: sparsity training, pruning and
 * grid extension 5 → 10 → 20 → 50 on f(x, y) = exp(sin(πx) + y²); and a 1-D fit of J0(3x).
 */
import { describe, expect, it } from 'vitest';
import { refineKan } from '../../../cloud/kan/grid.js';
import { Kan } from '../../../cloud/kan/kan.js';
import { pruneKan } from '../../../cloud/kan/prune.js';
import { trainKan } from '../../../cloud/kan/train.js';
import { besselJ0, rmse, sampleDataset } from './helpers.js';

describe('KAN quality', () => {
  it('fits exp(sin(πx) + y²) to test RMSE ≤ 1e-3 after pruning and grid extension', () => {
    const f = (p: Float64Array) => Math.exp(Math.sin(Math.PI * p[0]!) + p[1]! ** 2);
    const train = sampleDataset(f, 2, 1000, 1);
    const test = sampleDataset(f, 2, 1000, 2);
    const t0 = performance.now();
    let kan = Kan.create([2, 5, 1], { seed: 0 });
    trainKan(kan, train, { regularisation: { lambda: 1e-2 }, schedule: { steps: 20 } });
    const pruned = pruneKan(kan, train.x, train.batch);
    kan = pruned.kan;
    expect(kan.width[1]).toBeLessThanOrEqual(3);
    const report: string[] = [`pruned to [${kan.width.join(', ')}]`];
    for (const G of [5, 10, 20, 50]) {
      if (G > 5) kan = refineKan(kan, G, train.x, train.batch);
      trainKan(kan, train, { schedule: { steps: 30 }, grid: { update: G === 5 } });
      report.push(`G=${G}: ${rmse(kan.predict(test.x, test.batch), test.y).toExponential(2)}`);
    }
    const err = rmse(kan.predict(test.x, test.batch), test.y);
    console.log(`[kan quality] ${report.join(', ')}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(err).toBeLessThan(1e-3);
  });

  it('fits J0(3x) on [−2, 2] to RMSE ≤ 1e-4', () => {
    const f = (p: Float64Array) => besselJ0(3 * p[0]!);
    const train = sampleDataset(f, 1, 500, 3, -2, 2);
    const test = sampleDataset(f, 1, 500, 4, -2, 2);
    let kan = Kan.create([1, 1], { seed: 1, range: [-2, 2] });
    for (const G of [5, 10, 20, 50]) {
      if (G > 5) kan = refineKan(kan, G, train.x, train.batch);
      trainKan(kan, train, { schedule: { steps: 10 }, grid: { update: false } });
    }
    const err = rmse(kan.predict(test.x, test.batch), test.y);
    console.log(`[kan quality] J0(3x): test RMSE ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });
});
