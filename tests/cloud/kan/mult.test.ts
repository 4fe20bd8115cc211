/** Multiplication nodes (pykan 2's MultKAN): forward, backward against finite differences, JSON, pruning guard. */
import { describe, expect, it } from 'vitest';
import { Kan } from '../../../cloud/kan/kan.js';
import { multBackward, multForward, nodeOfSub } from '../../../cloud/kan/mult.js';
import { KanObjective } from '../../../cloud/kan/objective.js';
import { pruneKan } from '../../../cloud/kan/prune.js';
import { trainKan } from '../../../cloud/kan/train.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { sampleDataset } from './helpers.js';

const identity = { name: 'x', f: (u: number) => u, df: () => 1 };

/** Central differences of f over every entry of p against the analytic gradient g (relative). */
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

describe('KAN multiplication nodes', () => {
  it('pykan [2, [0, 1], 1] is width [2, 1, 1] with mult [0, 1, 0]: two sub-nodes, one product node', () => {
    const kan = Kan.create([2, 1, 1], { mult: [0, 1, 0], seed: 1 });
    expect(kan.width).toEqual([2, 1, 1]);
    expect(kan.mult).toEqual([0, 1, 0]);
    expect(kan.layers[0]!.nOut).toBe(2);
    expect(kan.layers[1]!.nIn).toBe(1);
    expect(() => Kan.create([2, 1, 1], { mult: [0, 2, 0] })).toThrow(/mult/);
    expect(() => Kan.create([2, 1, 1], { mult: [1, 0, 0] })).toThrow(/mult/);
    // [3, [2, 1], 1]: subs 0, 1 are sums, subs 2·3 multiply into node 2
    expect([0, 1, 2, 3].map((j) => nodeOfSub(j, 4, 1))).toEqual([0, 1, 2, 2]);
  });

  it('multiplies the two sub-node sums: linear edges into the product give x·y exactly', () => {
    const kan = Kan.create([2, 1, 1], { mult: [0, 1, 0], seed: 2 });
    kan.fixSymbolic(0, 0, 0, identity); // x → sub 0
    kan.fixSymbolic(0, 1, 1, identity); // y → sub 1
    kan.layers[0]!.mask[1] = 0; // x → sub 1 off
    kan.layers[0]!.mask[2] = 0; // y → sub 0 off
    kan.fixSymbolic(1, 0, 0, identity, { a: 1, b: 0, c: 3, d: 0.5 });
    const x = new Rng(3).fillUniform(new Float64Array(40), -1, 1);
    const pred = kan.predict(x, 20);
    for (let b = 0; b < 20; b++) expect(pred[b]).toBeCloseTo(3 * x[2 * b]! * x[2 * b + 1]! + 0.5, 14);
    // the product node's value is what the next layer sees
    const acts = kan.activations(x, 20);
    expect(acts[1]![5]).toBeCloseTo(x[10]! * x[11]!, 14);
  });

  it('multBackward is the product rule (checked against finite differences of multForward)', () => {
    const batch = 3;
    const nOut = 5; // one sum node, two product nodes
    const sub = new Rng(4).fillNormal(new Float64Array(batch * nOut));
    const w = new Rng(5).fillNormal(new Float64Array(batch * 3));
    const f = () =>
      multForward(sub, batch, nOut, 2, new Float64Array(batch * 3)).reduce((s, v, i) => s + v * w[i]!, 0);
    const g = multBackward(sub, w, batch, nOut, 2, new Float64Array(batch * nOut));
    expect(maxGradError(f, sub, g)).toBeLessThan(1e-7);
  });

  for (const lambda of [0, 0.05]) {
    it(`flat gradient through product nodes matches finite differences${lambda ? ' (with the sparsity penalty)' : ''}`, () => {
      // [2, [1, 1], 2]: a sum node and a product node in the hidden layer, then a product output
      const kan = Kan.create([2, 2, 2], { mult: [0, 1, 1], seed: 7 });
      new Rng(8).fillNormal(kan.params, 0, 0.4);
      const batch = 9;
      const rng = new Rng(9);
      const x = rng.fillUniform(new Float64Array(batch * 2), -1.2, 1.2);
      const y = rng.fillNormal(new Float64Array(batch * 2));
      const obj = new KanObjective(kan);
      const w = { lambda, l1: 1, entropy: 2 };
      const g = new Float64Array(kan.parameterCount());
      const v = obj.evaluate(x, y, batch, w, g);
      // the objective's forward is the model's
      const pred = kan.predict(x, batch);
      let mse = 0;
      for (let s = 0; s < pred.length; s++) mse += (pred[s]! - y[s]!) ** 2 / pred.length;
      expect(v.loss).toBeCloseTo(mse, 12);
      const f = () => {
        const r = obj.evaluate(x, y, batch, w, null);
        return r.loss + r.reg;
      };
      expect(maxGradError(f, kan.params, g)).toBeLessThan(1e-4);
    });
  }

  it('round-trips through JSON with its product nodes', () => {
    const kan = Kan.create([3, 2, 1], { mult: [0, 1, 0], seed: 10 });
    new Rng(11).fillNormal(kan.params, 0, 0.3);
    const back = Kan.fromJSON(JSON.parse(JSON.stringify(kan)));
    expect(back.mult).toEqual([0, 1, 0]);
    const x = new Rng(12).fillUniform(new Float64Array(30), -1, 1);
    expect([...back.predict(x, 10)]).toEqual([...kan.predict(x, 10)]);
  });

  it('learns x·y with one product node, and pruning refuses product nodes by name', () => {
    const data = sampleDataset((p) => p[0]! * p[1]!, 2, 300, 13);
    const kan = Kan.create([2, 1, 1], { mult: [0, 1, 0], seed: 14 });
    // without grid updates: see cloud/discovery/product.ts for why
    const { history } = trainKan(kan, data, { schedule: { steps: 15 }, grid: { update: false } });
    expect(history.loss.at(-1)).toBeLessThan(1e-5);
    expect(() => pruneKan(kan, data.x, data.batch)).toThrow(/multiplication nodes/);
  });
});
