import { describe, expect, it } from 'vitest';
import { refineKan, updateKanGrid } from '../../../cloud/kan/grid.js';
import { Kan } from '../../../cloud/kan/kan.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { rmse } from './helpers.js';

function randomKan(seed: number): Kan {
  const kan = Kan.create([2, 3, 1], { seed });
  new Rng(seed + 1).fillNormal(kan.params, 0, 0.5);
  return kan;
}

describe('grid update from samples', () => {
  it('moves knots to the data range and keeps the learned function on the data', () => {
    const kan = randomKan(1);
    const batch = 400;
    const x = new Rng(2).fillUniform(new Float64Array(batch * 2), -0.6, 0.9);
    const before = kan.predict(x, batch);
    updateKanGrid(kan, x, batch, 0.02);
    expect(kan.edgeRange(0, 0, 0)[0]).toBeGreaterThanOrEqual(-0.6);
    expect(kan.edgeRange(0, 0, 0)[1]).toBeLessThanOrEqual(0.9);
    expect(kan.edgeRange(0, 0, 0)[1]).toBeGreaterThan(0.89);
    // the old spline is cubic on 5 intervals; 5 adaptive intervals cannot match it exactly
    expect(rmse(kan.predict(x, batch), before)).toBeLessThan(0.05 * rmse(before, new Float64Array(batch)));
  });
});

describe('grid update with a margin', () => {
  it('extends the grid past the data by the share asked, so a nearby held-out input stays on the grid', () => {
    const kan = randomKan(1);
    const batch = 400;
    const x = new Rng(2).fillUniform(new Float64Array(batch * 2), -0.6, 0.9);
    let lo = Infinity;
    let hi = -Infinity;
    for (let b = 0; b < batch; b++) {
      lo = Math.min(lo, x[b * 2]!);
      hi = Math.max(hi, x[b * 2]!);
    }
    updateKanGrid(kan, x, batch, 0.02, 0.05);
    const [gLo, gHi] = kan.edgeRange(0, 0, 0);
    expect(gLo).toBeCloseTo(lo - 0.05 * (hi - lo), 12);
    expect(gHi).toBeCloseTo(hi + 0.05 * (hi - lo), 12);
  });
});

describe('grid extension', () => {
  it('refines G 5 → 10 → 20 keeping the function (exact for multiples of G)', () => {
    let kan = randomKan(3);
    const batch = 300;
    const x = new Rng(4).fillUniform(new Float64Array(batch * 2), -1, 1);
    const before = kan.predict(x, batch);
    for (const G of [10, 20]) {
      kan = refineKan(kan, G, x, batch);
      expect(kan.layers[0]!.grid.G).toBe(G);
      expect(rmse(kan.predict(x, batch), before)).toBeLessThan(1e-6);
    }
    expect(kan.parameterCount()).toBe((2 * 3 + 3) * (20 + 3 + 2));
  });
});
