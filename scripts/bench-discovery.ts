/**
 * The toy discovery end to end — f(x, y) = exp(sin(πx) + y²), 1000 train / 1000 test points,
 * width [2,5,1]: train with sparsity, prune, extend the grid, snap, build and refit the formula,
 * extract entries (with their onnxruntime cost measured). Runs it three times with the same seed
 * to show the formula is the same every time and nothing went NaN.
 */
import { performance } from 'node:perf_hooks';
import { discover } from '../cloud/discovery/discover.js';
import { taskByPath } from '../cloud/discovery/families.js';
import { classicLibrary } from '../shared/library/library.js';

export async function benchDiscovery(runs = 3): Promise<Record<string, unknown>> {
  const times: number[] = [];
  const formulas = new Set<string>();
  const rmses: number[] = [];
  let anyNaN = false;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const out = await discover({
      tasks: [taskByPath('symbolic/exp-sin-square')],
      source: 'symbolic',
      library: classicLibrary(),
      seed: 0,
    });
    times.push(performance.now() - t0);
    const t = out.tasks[0]!;
    formulas.add(t.formula);
    rmses.push(t.testRmse);
    anyNaN ||= !Number.isFinite(t.testRmse) || (t.formulaRmse !== null && !Number.isFinite(t.formulaRmse));
  }
  const best = Math.min(...times);
  return {
    problem: 'exp(sin(pi x) + y^2), width [2,5,1], seed 0, one core',
    wall_ms: times.map((t) => Math.round(t)),
    formulas: [...formulas],
    test_rmse: rmses[0],
    targets: { wall_le_17s: best <= 17_000, same_formula_every_run: formulas.size === 1, no_nan: !anyNaN },
  };
}
