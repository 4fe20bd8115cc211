import { describe, expect, it } from 'vitest';
import { ensureWork, layerForward } from '../../../cloud/kan/kernel.js';
import { createLayer, type KanLayer, LAYER_INIT_DEFAULTS } from '../../../cloud/kan/layer.js';
import { kanLayerOp, layerVars } from '../../../cloud/kan/layer-op.js';
import { coefToCurve } from '../../../shared/numeric/bspline.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { sum } from '../../../shared/numeric/ops.js';
import { mul } from '../../../shared/numeric/ops-elementwise.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { Var } from '../../../shared/numeric/tape.js';

const silu = (v: number) => v / (1 + Math.exp(-v));

/** A layer with random coef, weights and a mildly non-uniform grid. */
function randomLayer(nIn: number, nOut: number, k: number, seed: number): KanLayer {
  const rng = new Rng(seed);
  const L = createLayer(nIn, nOut, { ...LAYER_INIT_DEFAULTS, G: 4, k }, rng);
  rng.fillNormal(L.coef, 0, 0.5);
  rng.fillNormal(L.wb, 0, 0.5);
  rng.fillNormal(L.ws, 0, 0.5);
  const M = 4 + 2 * k + 1;
  for (let i = 0; i < nIn; i++)
    for (let c = 0; c < M; c++) L.grid.knots[i * M + c]! += 0.03 * Math.sin(7 * c + i);
  return L;
}

/** Reference: φ_ij = mask·(wb·silu + ws·spline) from shared coefToCurve, summed over i. */
function naiveForward(L: KanLayer, x: Float64Array, batch: number): Float64Array {
  const sp = coefToCurve(x, L.grid, L.coef, L.nOut);
  const out = new Float64Array(batch * L.nOut);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < L.nIn; i++)
      for (let j = 0; j < L.nOut; j++) {
        const e = i * L.nOut + j;
        const xi = x[b * L.nIn + i]!;
        out[b * L.nOut + j] +=
          L.mask[e]! * (L.wb[e]! * silu(xi) + L.ws[e]! * sp[(b * L.nIn + i) * L.nOut + j]!);
      }
  return out;
}

describe('fused KAN layer kernel', () => {
  for (const k of [3, 2]) {
    it(`matches per-edge evaluation (k = ${k}), inside and outside the grid`, () => {
      const L = randomLayer(3, 4, k, 1);
      L.mask[5] = 0;
      const batch = 40;
      const x = new Rng(2).fillUniform(new Float64Array(batch * 3), -2.5, 2.5);
      const y = layerForward(L, x, batch, ensureWork(L, batch));
      const ref = naiveForward(L, x, batch);
      for (let s = 0; s < ref.length; s++) expect(y[s]).toBeCloseTo(ref[s]!, 12);
    });

    it(`backward passes a finite-difference check for x, coef, wb and ws (k = ${k})`, () => {
      const L = randomLayer(3, 2, k, 3);
      L.mask[1] = 0;
      L.symbolic[4] = { name: 'sin', f: Math.sin, a: 1.3, b: 0.2, c: 0.7, d: 0.1 }; // no df: central difference
      const batch = 7;
      const xs = new Rng(4).fillUniform(new Float64Array(batch * 3), -1.6, 1.6);
      const x = Var.param(xs, [batch, 3], 'x');
      const vars = layerVars(L);
      const w = Var.constant(new Rng(5).fillNormal(new Float64Array(batch * 2)), [batch, 2]);
      const r = gradcheck(
        (t) => sum(t, mul(t, kanLayerOp(t, x, L, vars), w)),
        [x, vars.coef, vars.wb, vars.ws],
        {
          rtol: 1e-5,
          atol: 1e-7,
        },
      );
      expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    });
  }

  it('applies a symbolic edge c·f(a·x + b) + d in place of the masked spline', () => {
    const L = randomLayer(1, 1, 3, 6);
    L.mask[0] = 0;
    L.symbolic[0] = { name: 'sq', f: (u) => u * u, df: (u) => 2 * u, a: 2, b: -1, c: 0.5, d: 3 };
    const x = Float64Array.of(-0.4, 0.3, 1.2);
    const y = layerForward(L, x, 3, ensureWork(L, 3));
    for (let b = 0; b < 3; b++) expect(y[b]).toBeCloseTo(0.5 * (2 * x[b]! - 1) ** 2 + 3, 12);
  });
});
