import { describe, expect, it } from 'vitest';
import { Kan } from '../../../cloud/kan/kan.js';
import { KanObjective } from '../../../cloud/kan/objective.js';
import { layerRegularisation } from '../../../cloud/kan/regularisation.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** Central differences of f over every entry of p, compared with the analytic gradient g. */
function maxGradError(f: () => number, p: Float64Array, g: Float64Array, eps = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < p.length; i++) {
    const saved = p[i]!;
    p[i] = saved + eps;
    const plus = f();
    p[i] = saved - eps;
    const minus = f();
    p[i] = saved;
    const num = (plus - minus) / (2 * eps);
    worst = Math.max(worst, Math.abs(num - g[i]!) / (1e-6 + Math.abs(num)));
  }
  return worst;
}

describe('KAN training objective', () => {
  it('regularisation gradient ∂R/∂A matches finite differences', () => {
    const A = Float64Array.of(0.3, 0.05, 1.2, 0.7, 0.01, 0.4);
    const w = { lambda: 0.1, l1: 1, entropy: 2 };
    const dA = new Float64Array(A.length);
    layerRegularisation(A, w, dA);
    expect(maxGradError(() => layerRegularisation(A, w, null), A, dA)).toBeLessThan(1e-5);
  });

  for (const lambda of [0, 0.05]) {
    it(`flat gradient of MSE${lambda ? ' + sparsity penalty' : ''} matches finite differences`, () => {
      const kan = Kan.create([2, 3, 2], { seed: 7 });
      new Rng(8).fillNormal(kan.params, 0, 0.4);
      const batch = 9;
      const rng = new Rng(9);
      const x = rng.fillUniform(new Float64Array(batch * 2), -1.2, 1.2);
      const y = rng.fillNormal(new Float64Array(batch * 2));
      const obj = new KanObjective(kan);
      const w = { lambda, l1: 1, entropy: 2 };
      const g = new Float64Array(kan.parameterCount());
      const v = obj.evaluate(x, y, batch, w, g);
      expect(lambda === 0 ? v.reg : v.reg > 0).toBe(lambda === 0 ? 0 : true);
      const f = () => {
        const r = obj.evaluate(x, y, batch, w, null);
        return r.loss + r.reg;
      };
      expect(maxGradError(f, kan.params, g)).toBeLessThan(1e-4);
    });
  }
});
