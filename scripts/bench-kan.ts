/**
 * KAN benchmark: benchKan() returns JSON figures; scripts/bench.ts decides when to call and print it.
 * (No run-when-main guard: once bundled into bench.js, import.meta.url would match and run it twice.)
 *
 * 1. Forward + backward of a KAN of width [64, 64, 64] (G = 5, k = 3) at batch 1024, through the
 *    fused flat-parameter objective (what training uses) and through the Tape op, against an MLP
 *    64 → H → 64 (tanh) with H chosen so both have about the same number of parameters, built
 *    from the shared Tape ops and measured in the same run. Median of several repetitions.
 * 2. The "Hello KAN" pipeline on f(x, y) = exp(sin(πx) + y²): sparsity training, pruning, grid
 *    extension 5 → 10 → 20 → 50; wall time per phase and the test RMSE.
 */
import { performance } from 'node:perf_hooks';
import { refineKan } from '../cloud/kan/grid.js';
import { Kan } from '../cloud/kan/kan.js';
import { kanLayerOp, layerVars } from '../cloud/kan/layer-op.js';
import { KanObjective } from '../cloud/kan/objective.js';
import { pruneKan } from '../cloud/kan/prune.js';
import { trainKan } from '../cloud/kan/train.js';
import { addBias, matmulTransposedB, mseLoss, tanh } from '../shared/numeric/ops.js';
import { Rng } from '../shared/numeric/rng.js';
import { Tape, Var } from '../shared/numeric/tape.js';

const REPS = Number(process.env['LK_BENCH_KAN_REPS'] ?? 7);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** Median wall time in ms of fn over REPS runs, after two warm-up runs. */
function timeMs(fn: () => void): number {
  fn();
  fn();
  const t: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

function benchKernel(): object {
  const width = [64, 64, 64];
  const batch = 1024;
  const rng = new Rng(1);
  const x = rng.fillUniform(new Float64Array(batch * 64), -1, 1);
  const y = rng.fillUniform(new Float64Array(batch * 64), -1, 1);
  const kan = Kan.create(width, { seed: 1 });
  const objective = new KanObjective(kan);
  const grad = new Float64Array(kan.parameterCount());
  const noReg = { lambda: 0, l1: 1, entropy: 2 };
  const kanMs = timeMs(() => objective.evaluate(x, y, batch, noReg, grad));
  const vars = kan.layers.map((L, l) => layerVars(L, `kan${l}`));
  const kanTapeMs = timeMs(() => {
    const tape = new Tape();
    let h = Var.constant(x, [batch, 64]);
    kan.layers.forEach((L, l) => {
      h = kanLayerOp(tape, h, L, vars[l]!);
    });
    tape.backward(mseLoss(tape, h, Var.constant(y, [batch, 64])));
  });

  // MLP 64 → H → 64 with 129·H + 64 ≈ the KAN's parameter count
  const H = Math.round((kan.parameterCount() - 64) / 129);
  const W1 = Var.param(rng.fillNormal(new Float64Array(H * 64), 0, 1 / 8), [H, 64], 'W1');
  const b1 = Var.param(new Float64Array(H), [H], 'b1');
  const W2 = Var.param(rng.fillNormal(new Float64Array(64 * H), 0, 1 / Math.sqrt(H)), [64, H], 'W2');
  const b2 = Var.param(new Float64Array(64), [64], 'b2');
  const mlpMs = timeMs(() => {
    const tape = new Tape();
    const h = tanh(tape, addBias(tape, matmulTransposedB(tape, Var.constant(x, [batch, 64]), W1), b1));
    const out = addBias(tape, matmulTransposedB(tape, h, W2), b2);
    tape.backward(mseLoss(tape, out, Var.constant(y, [batch, 64])));
  });
  return {
    batch,
    kan_width: width,
    kan_params: kan.parameterCount(),
    mlp_width: [64, H, 64],
    mlp_params: 129 * H + 64,
    kan_fwd_bwd_ms: round(kanMs),
    kan_tape_fwd_bwd_ms: round(kanTapeMs),
    mlp_fwd_bwd_ms: round(mlpMs),
    kan_over_mlp: round(kanMs / mlpMs, 3),
    kan_tape_over_mlp: round(kanTapeMs / mlpMs, 3),
  };
}

function dataset(seed: number, n: number): { x: Float64Array; y: Float64Array; batch: number } {
  const x = new Rng(seed).fillUniform(new Float64Array(2 * n), -1, 1);
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) y[s] = Math.exp(Math.sin(Math.PI * x[2 * s]!) + x[2 * s + 1]! ** 2);
  return { x, y, batch: n };
}

function benchToy(): object {
  const train = dataset(1, 1000);
  const test = dataset(2, 1000);
  const rmse = (k: Kan) => {
    const p = k.predict(test.x, test.batch);
    let s = 0;
    for (let i = 0; i < p.length; i++) s += (p[i]! - test.y[i]!) ** 2;
    return Math.sqrt(s / p.length);
  };
  const t0 = performance.now();
  let kan = Kan.create([2, 5, 1], { seed: 0 });
  trainKan(kan, train, { regularisation: { lambda: 1e-2 }, schedule: { steps: 20 } });
  const t1 = performance.now();
  kan = pruneKan(kan, train.x, train.batch).kan;
  const prunedWidth = [...kan.width];
  const t2 = performance.now();
  const rmseByG: Record<string, number> = {};
  for (const G of [5, 10, 20, 50]) {
    if (G > 5) kan = refineKan(kan, G, train.x, train.batch);
    trainKan(kan, train, { schedule: { steps: 30 }, grid: { update: G === 5 } });
    rmseByG[`G${G}`] = Number(rmse(kan).toExponential(3));
  }
  const t3 = performance.now();
  return {
    problem: 'exp(sin(pi x) + y^2), 1000 train / 1000 test, width [2,5,1]',
    pruned_width: prunedWidth,
    train_ms: round(t1 - t0, 0),
    prune_ms: round(t2 - t1, 0),
    extend_ms: round(t3 - t2, 0),
    total_ms: round(t3 - t0, 0),
    test_rmse_by_grid: rmseByG,
    test_rmse: rmseByG['G50'],
  };
}

/** Both benchmarks as one JSON-ready object. */
export async function benchKan(): Promise<object> {
  return { kernel: benchKernel(), toy: benchToy() };
}
