import { describe, expect, it } from 'vitest';
import { LBFGS_DEFAULTS, lbfgs, type Objective } from '../../../shared/numeric/lbfgs.js';
import { Rng } from '../../../shared/numeric/rng.js';

/** Rosenbrock in n dimensions: Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², minimum 0 at (1, …, 1). */
const rosenbrock: Objective = (x, g) => {
  g.fill(0);
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    f += 100 * a * a + b * b;
    g[i] += -400 * a * x[i]! - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
};

describe('lbfgs', () => {
  for (const lineSearch of ['strong-wolfe', 'armijo'] as const) {
    it(`minimises 2-D Rosenbrock from (-1.2, 1) with ${lineSearch}`, () => {
      const x0 = Float64Array.of(-1.2, 1);
      const res = lbfgs(rosenbrock, x0, { lineSearch, maxIterations: 500 });
      expect(res.converged).toBe(true);
      expect(res.loss).toBeLessThan(1e-14);
      expect(Math.abs(res.x[0]! - 1)).toBeLessThan(1e-7);
      expect(Math.abs(res.x[1]! - 1)).toBeLessThan(1e-7);
      expect([...x0]).toEqual([-1.2, 1]);
    });
  }

  it('minimises 10-D Rosenbrock with strong Wolfe in a modest number of iterations', () => {
    const x0 = new Rng(80).fillUniform(new Float64Array(10), -1, 1);
    const res = lbfgs(rosenbrock, x0);
    expect(res.converged).toBe(true);
    expect(res.iterations).toBeLessThan(LBFGS_DEFAULTS.maxIterations);
    for (let i = 0; i < 10; i++) expect(Math.abs(res.x[i]! - 1)).toBeLessThan(1e-6);
  });

  it('solves a linear least-squares problem to the normal-equation solution', () => {
    const rng = new Rng(81);
    const m = 40;
    const n = 5;
    const A = rng.fillNormal(new Float64Array(m * n));
    const truth = rng.fillNormal(new Float64Array(n));
    const y = new Float64Array(m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[i] += A[i * n + j]! * truth[j]!;
    const f: Objective = (x, g) => {
      g.fill(0);
      let loss = 0;
      for (let i = 0; i < m; i++) {
        let r = -y[i]!;
        for (let j = 0; j < n; j++) r += A[i * n + j]! * x[j]!;
        loss += 0.5 * r * r;
        for (let j = 0; j < n; j++) g[j] += r * A[i * n + j]!;
      }
      return loss;
    };
    const res = lbfgs(f, new Float64Array(n));
    expect(res.converged).toBe(true);
    for (let j = 0; j < n; j++) expect(res.x[j]).toBeCloseTo(truth[j]!, 8);
  });

  it('reports convergence immediately at a stationary point', () => {
    const res = lbfgs((x, g) => {
      g[0] = 2 * x[0]!;
      return x[0]! * x[0]!;
    }, Float64Array.of(0));
    expect(res).toMatchObject({ iterations: 0, converged: true, loss: 0 });
  });

  it('stops without claiming convergence when iterations run out', () => {
    const res = lbfgs(rosenbrock, Float64Array.of(-1.2, 1), { maxIterations: 3 });
    expect(res.iterations).toBe(3);
    expect(res.converged).toBe(false);
  });

  it('rejects inconsistent line-search constants', () => {
    expect(() => lbfgs(rosenbrock, Float64Array.of(0, 0), { c1: 0.9, c2: 0.1 })).toThrow(/c1 < c2/);
  });
});
