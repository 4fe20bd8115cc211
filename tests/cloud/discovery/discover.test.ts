import { describe, expect, it } from 'vitest';
import { discover } from '../../../cloud/discovery/discover.js';
import { FAMILIES, taskByPath } from '../../../cloud/discovery/families.js';
import { besselJ0 } from '../../../cloud/discovery/special.js';
import { compileActivation } from '../../../shared/activations/index.js';
import { classicLibrary } from '../../../shared/library/library.js';

describe('discovery', () => {
  it('finds exp(sin(πx) + y²): [2,1,1] after pruning, test RMSE ≤ 1e-3, a formula naming sin, a square and exp', async () => {
    const r = await discover({
      tasks: [taskByPath('symbolic/exp-sin-square')],
      source: 'symbolic',
      library: classicLibrary(),
      seed: 0,
      measureCost: false,
    });
    const t = r.tasks[0]!;
    expect(t.width).toEqual([2, 1, 1]);
    expect(t.testRmse).toBeLessThanOrEqual(1e-3);
    expect(t.formula).toMatch(/exp\(/);
    expect(t.formula).toMatch(/sin\(/);
    expect(t.formula).toMatch(/²/);
    expect(t.formulaRmse).not.toBeNull();
    expect(t.formulaRmse!).toBeLessThan(1e-6);
    expect(r.library.version).toBe(2);
    expect(r.library.parent?.version).toBe(1);
  });

  it('turns J0(3x), a shape in no candidate list, into a series entry that matches it (R² ≥ 0.999), reproducibly', async () => {
    const run = () =>
      discover({
        tasks: [taskByPath('symbolic/bessel-j0')],
        source: 'symbolic',
        library: classicLibrary(),
        seed: 3,
      });
    const r = await run();
    expect(r.added.length).toBe(1);
    const e = r.added[0]!;
    expect(['chebyshev', 'rational']).toContain(e.form);
    expect(e.meta.provenance.source).toBe('kan');
    expect(e.meta.cost.nsPerElement).toBeGreaterThan(0);
    // the entry's natural curve against J0(3x) on [-2, 2], up to an affine map of the output
    const act = compileActivation(e);
    const n = 401;
    const xs = Float64Array.from({ length: n }, (_, i) => -2 + (4 * i) / (n - 1));
    const ys = xs.map((x) => e.natural.c * act.value(e.natural.a * x + e.natural.b) + e.natural.d);
    const js = xs.map((x) => besselJ0(3 * x));
    // least squares js ≈ p·ys + q
    const my = ys.reduce((a, b) => a + b) / n;
    const mj = js.reduce((a, b) => a + b) / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += (ys[i]! - my) * (js[i]! - mj);
      sxx += (ys[i]! - my) ** 2;
    }
    const p = sxy / sxx;
    let ssr = 0;
    let sst = 0;
    for (let i = 0; i < n; i++) {
      ssr += (js[i]! - (p * (ys[i]! - my) + mj)) ** 2;
      sst += (js[i]! - mj) ** 2;
    }
    expect(1 - ssr / sst).toBeGreaterThanOrEqual(0.999);
    const again = await run();
    expect(again.library.hash).not.toBe('');
    expect(again.added.map((x) => x.id)).toEqual(r.added.map((x) => x.id));
    expect(again.tasks[0]!.formula).toBe(r.tasks[0]!.formula);
  });

  it('pools a family: shapes the library already has are merged, not added twice', async () => {
    const r = await discover({
      tasks: FAMILIES['sensors']!.tasks.filter((t) => t.name !== 'duffing'),
      source: 'sensors',
      library: classicLibrary(),
      seed: 0,
      measureCost: false,
      extendTo: [10],
    });
    // pendulum's sin and the heater's tanh are classics; their linear edges are identity
    expect(r.report.duplicates.length).toBeGreaterThanOrEqual(3);
    const merged = r.library.entries.find((e) => e.name === 'tanh')!;
    expect(merged.meta.usage.count).toBeGreaterThanOrEqual(1);
    expect(r.tasks.map((t) => t.formula).join(' ')).toMatch(/sin\(.*tanh\(/s);
  });
});
