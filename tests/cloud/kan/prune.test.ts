import { describe, expect, it } from 'vitest';
import { Kan } from '../../../cloud/kan/kan.js';
import { dropHiddenNode, pruneKan } from '../../../cloud/kan/prune.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { rmse } from './helpers.js';

describe('pruning', () => {
  it('drops one chosen hidden node: the rest of the network computes exactly what it did', () => {
    const kan = Kan.create([2, 3, 1], { seed: 4 });
    new Rng(5).fillNormal(kan.params, 0, 0.5);
    const batch = 50;
    const x = new Rng(6).fillUniform(new Float64Array(batch * 2), -1, 1);
    const before = kan.predict(x, batch);
    const hidden = kan.activations(x, batch)[1]!;
    const out1 = kan.edgeFunction(1, 1, 0);
    const small = dropHiddenNode(kan, 1, 1);
    expect(small.width).toEqual([2, 2, 1]);
    const after = small.predict(x, batch);
    for (let b = 0; b < batch; b++) expect(after[b]!).toBeCloseTo(before[b]! - out1(hidden[b * 3 + 1]!), 12);
    expect(() => dropHiddenNode(kan, 0, 0)).toThrow(/no removable node 0 in layer 0/);
  });

  it('drops hidden nodes with no significant incoming or outgoing edge and maps indices', () => {
    const kan = Kan.create([2, 4, 1], { seed: 1 });
    new Rng(2).fillNormal(kan.params, 0, 0.5);
    const [L0, L1] = kan.layers;
    // node 1: nothing goes in; node 3: nothing comes out (edge e = i·nOut + j)
    for (const i of [0, 1]) L0!.mask[i * 4 + 1] = 0;
    L1!.mask[3] = 0;
    const batch = 200;
    const x = new Rng(3).fillUniform(new Float64Array(batch * 2), -1, 1);
    const before = kan.predict(x, batch);
    const { kan: small, kept, index } = pruneKan(kan, x, batch, { edgeThreshold: 0 });
    expect(small.width).toEqual([2, 2, 1]);
    expect(kept).toEqual([[0, 1], [0, 2], [0]]);
    expect([...index[1]!]).toEqual([0, -1, 1, -1]);
    // node 3 contributed nothing; node 1 (always 0) only the constant φ(0): same function up to it
    const after = small.predict(x, batch);
    const shift = after[0]! - before[0]!;
    expect(
      rmse(
        after.map((v) => v - shift),
        before,
      ),
    ).toBeLessThan(1e-12);
    expect(kan.width).toEqual([2, 4, 1]); // the input KAN is unchanged
  });

  it('masks weak edges of the kept nodes', () => {
    const kan = Kan.create([2, 2, 1], { seed: 4 });
    new Rng(5).fillNormal(kan.params, 0, 0.5);
    const L0 = kan.layers[0]!;
    L0.coef.fill(0, 0, L0.coef.length / 4); // edge 0 → 0: spline 0
    L0.wb[0] = 1e-6;
    const batch = 100;
    const x = new Rng(6).fillUniform(new Float64Array(batch * 2), -1, 1);
    const { kan: small } = pruneKan(kan, x, batch);
    expect(small.activeEdges()).not.toContainEqual({ l: 0, i: 0, j: 0 });
    expect(small.activeEdges()).toHaveLength(5);
  });
});
