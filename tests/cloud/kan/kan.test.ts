import { describe, expect, it } from 'vitest';
import { Kan } from '../../../cloud/kan/kan.js';
import { trainKan } from '../../../cloud/kan/train.js';
import { Rng } from '../../../shared/numeric/rng.js';
import { sampleDataset } from './helpers.js';

function randomKan(): Kan {
  const kan = Kan.create([2, 3, 1], { seed: 1 });
  new Rng(2).fillNormal(kan.params, 0, 0.5);
  return kan;
}

describe('Kan inspection API', () => {
  it('reports width, parameter count and active edges', () => {
    const kan = Kan.create([3, 4, 2]);
    expect(kan.width).toEqual([3, 4, 2]);
    expect(kan.parameterCount()).toBe((12 + 8) * (5 + 3 + 2));
    kan.layers[1]!.mask[0] = 0;
    expect(kan.activeEdges()).toHaveLength(19);
    expect(kan.activeEdges()[0]).toEqual({ l: 0, i: 0, j: 0 });
  });

  it('edgeFunction and edgeSamples agree with the forward pass of a one-edge path', () => {
    const kan = randomKan();
    const batch = 50;
    const x = new Rng(3).fillUniform(new Float64Array(batch * 2), -1, 1);
    const { x: xs, y: ys } = kan.edgeSamples(x, batch, 1, 2, 0);
    for (let b = 1; b < batch; b++) expect(xs[b]).toBeGreaterThanOrEqual(xs[b - 1]!);
    // output = Σ_i φ_i0(h_i): rebuild it from the three edges' functions
    const h = kan.activations(x, batch)[1]!;
    const f = [0, 1, 2].map((i) => kan.edgeFunction(1, i, 0));
    const out = kan.predict(x, batch);
    for (let b = 0; b < batch; b++) {
      expect(f[0]!(h[b * 3]!) + f[1]!(h[b * 3 + 1]!) + f[2]!(h[b * 3 + 2]!)).toBeCloseTo(out[b]!, 12);
    }
    expect(ys[0]).toBeCloseTo(f[2]!(xs[0]!), 12);
    const [lo, hi] = kan.edgeRange(1, 2, 0, { x, batch });
    expect([lo, hi]).toEqual([xs[0], xs[batch - 1]]);
    expect(kan.edgeRange(0, 0, 0)).toEqual([-1, 1]);
    expect(() => kan.edgeFunction(0, 2, 0)).toThrow(/no edge/);
  });

  it('round-trips through JSON, symbolic edges included', () => {
    const kan = randomKan();
    kan.fixSymbolic(0, 1, 2, { name: 'sin', f: Math.sin }, { a: 2, b: 0.1, c: 0.5, d: -0.2 });
    const json = JSON.parse(JSON.stringify(kan));
    const back = Kan.fromJSON(json, (name) => (name === 'sin' ? { name, f: Math.sin } : undefined));
    const x = new Rng(4).fillUniform(new Float64Array(20), -1, 1);
    expect([...back.predict(x, 10)]).toEqual([...kan.predict(x, 10)]);
    expect(back.edgeSymbolic(0, 1, 2)?.name).toBe('sin');
    expect(() => Kan.fromJSON(json)).toThrow(/sin/);
  });

  it('keeps a fixed symbolic edge while training the rest', () => {
    const data = sampleDataset((p) => Math.sin(2 * p[0]!) + p[1]! ** 2, 2, 200, 5);
    const kan = Kan.create([2, 1], { seed: 6 });
    kan.fixSymbolic(0, 0, 0, { name: 'sin', f: Math.sin, df: Math.cos }, { a: 2, b: 0, c: 1, d: 0 });
    const before = kan.edgeFunction(0, 0, 0)(0.3);
    const { history } = trainKan(kan, data, { schedule: { steps: 5 } });
    expect(kan.edgeFunction(0, 0, 0)(0.3)).toBe(before);
    expect(history.loss.at(-1)).toBeLessThan(1e-4);
    kan.unfixSymbolic(0, 0, 0);
    expect(kan.edgeSymbolic(0, 0, 0)).toBeNull();
  });
});

describe('trainKan', () => {
  const data = sampleDataset((p) => Math.tanh(p[0]! - p[1]!), 2, 150, 7);

  it('is deterministic and reports every step', () => {
    const run = () => {
      const steps: number[] = [];
      const kan = Kan.create([2, 2, 1], { seed: 3 });
      trainKan(kan, data, {
        optimizer: { kind: 'adam', lr: 1e-2, batchSize: 32 },
        schedule: { steps: 30, lrDecay: 'cosine' },
        regularisation: { lambda: 1e-3 },
        seed: 9,
        onStep: (s, r) => steps.push(s, r.loss, r.reg),
      });
      return { params: [...kan.params], steps };
    };
    const a = run();
    expect(a.steps).toHaveLength(90);
    expect(run()).toEqual(a);
  });

  it('reduces the loss with Adam and with L-BFGS', () => {
    for (const kind of ['adam', 'lbfgs'] as const) {
      const kan = Kan.create([2, 2, 1], { seed: 3 });
      const { history } = trainKan(kan, data, {
        optimizer: { kind, lr: 2e-2 },
        schedule: { steps: kind === 'adam' ? 100 : 5 },
      });
      expect(history.loss.at(-1)!).toBeLessThan(0.2 * history.loss[0]!);
    }
  });

  it('rejects data of the wrong shape', () => {
    expect(() =>
      trainKan(Kan.create([2, 1]), { x: new Float64Array(3), y: new Float64Array(2), batch: 2 }),
    ).toThrow(/do not fit/);
  });
});
