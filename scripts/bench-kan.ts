/**
 * KAN benchmark: benchKan() returns JSON figures; scripts/bench.ts decides when to call and print it.
 * (No run-when-main guard: once bundled into bench.js, import.meta.url would match and run it twice.)
 *
 * 1. Forward + backward of a KAN of width [64, 64, 64] (G = 5, k = 3) at batch 1024, through the
 *    fused flat-parameter objective (what training uses) and through the Tape op, against an MLP
 *    64 → H → 64 (tanh) with H chosen so both have about the same number of parameters: once
 *    hand-written on the blocked products of shared/numeric/gemm.ts (as the KAN objective is
 *    hand-written; the baseline of kan_over_mlp) and once from the shared Tape ops. When
 *    /usr/bin/python3 has torch, scripts/bench-kan-torch.py runs a reference KAN layer
 *    (efficient-kan's formulation) and the same MLP in float64 and float32 in the same run, and
 *    the ratios to them are reported. Times are the median process CPU time of several
 *    repetitions, on one thread on both sides, so other load on a shared machine does not skew
 *    the comparison.
 * 2. The "Hello KAN" pipeline on f(x, y) = exp(sin(πx) + y²): sparsity training, pruning, grid
 *    extension 5 → 10 → 20 → 50; wall time per phase and the test RMSE.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { refineKan } from '../cloud/kan/grid.js';
import { Kan } from '../cloud/kan/kan.js';
import { kanLayerOp, layerVars } from '../cloud/kan/layer-op.js';
import { KanObjective } from '../cloud/kan/objective.js';
import { pruneKan } from '../cloud/kan/prune.js';
import { trainKan } from '../cloud/kan/train.js';
import { packageRoot } from '../shared/io/package-root.js';
import { gemmNN, gemmNT, gemmTN } from '../shared/numeric/gemm.js';
import { addBias, matmulTransposedB, mseLoss, tanh } from '../shared/numeric/ops.js';
import { Rng } from '../shared/numeric/rng.js';
import { Tape, Var } from '../shared/numeric/tape.js';

const REPS = Number(process.env['LK_BENCH_KAN_REPS'] ?? 7);
const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/** Median process CPU time in ms of fn over REPS runs, after two warm-up runs. */
function timeMs(fn: () => void): number {
  fn();
  fn();
  const t: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = process.cpuUsage();
    fn();
    const d = process.cpuUsage(t0);
    t.push((d.user + d.system) / 1000);
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
  const mlpTapeMs = timeMs(() => {
    const tape = new Tape();
    const h = tanh(tape, addBias(tape, matmulTransposedB(tape, Var.constant(x, [batch, 64]), W1), b1));
    const out = addBias(tape, matmulTransposedB(tape, h, W2), b2);
    tape.backward(mseLoss(tape, out, Var.constant(y, [batch, 64])));
  });
  const mlp = denseMlp(W1.data, b1.data, W2.data, b2.data, H, batch);
  const mlpMs = timeMs(() => mlp(x, y));
  const torch = torchReference();
  const ratio = (a: number, b: unknown) => (typeof b === 'number' && b > 0 ? round(a / b, 3) : null);
  return {
    batch,
    timing: 'median process CPU ms, one thread',
    kan_width: width,
    kan_params: kan.parameterCount(),
    mlp_width: [64, H, 64],
    mlp_params: 129 * H + 64,
    kan_fwd_bwd_ms: round(kanMs),
    kan_tape_fwd_bwd_ms: round(kanTapeMs),
    mlp_fwd_bwd_ms: round(mlpMs),
    mlp_tape_fwd_bwd_ms: round(mlpTapeMs),
    kan_over_mlp: round(kanMs / mlpMs, 3),
    kan_tape_over_mlp: round(kanTapeMs / mlpMs, 3),
    torch,
    kan_over_torch_kan_float64: ratio(kanMs, torch?.['kan_fwd_bwd_ms_float64']),
    kan_over_torch_kan_float32: ratio(kanMs, torch?.['kan_fwd_bwd_ms_float32']),
    mlp_over_torch_mlp_float64: ratio(mlpMs, torch?.['mlp_fwd_bwd_ms_float64']),
  };
}

/**
 * Forward + backward of tanh(x·W1ᵀ + b1)·W2ᵀ + b2 under MSE, hand-written on the blocked
 * products (buffers allocated once, as the KAN objective does). Returns the loss.
 */
function denseMlp(
  W1: Float64Array,
  b1: Float64Array,
  W2: Float64Array,
  b2: Float64Array,
  H: number,
  B: number,
) {
  const h = new Float64Array(B * H);
  const out = new Float64Array(B * 64);
  const gOut = new Float64Array(B * 64);
  const gH = new Float64Array(B * H);
  const gW1 = new Float64Array(H * 64);
  const gW2 = new Float64Array(64 * H);
  const gb1 = new Float64Array(H);
  const gb2 = new Float64Array(64);
  return (x: Float64Array, y: Float64Array): number => {
    for (let r = 0; r < B; r++) h.set(b1, r * H);
    gemmNT(x, W1, h, B, H, 64);
    for (let s = 0; s < h.length; s++) h[s] = Math.tanh(h[s]!);
    for (let r = 0; r < B; r++) out.set(b2, r * 64);
    gemmNT(h, W2, out, B, 64, H);
    let loss = 0;
    const n = B * 64;
    for (let s = 0; s < n; s++) {
      const d = out[s]! - y[s]!;
      loss += d * d;
      gOut[s] = (2 * d) / n;
    }
    gW2.fill(0);
    gW1.fill(0);
    gb1.fill(0);
    gb2.fill(0);
    gH.fill(0);
    gemmTN(gOut, h, gW2, 64, H, B);
    for (let r = 0; r < B; r++) for (let j = 0; j < 64; j++) gb2[j] += gOut[r * 64 + j]!;
    gemmNN(gOut, W2, gH, B, H, 64);
    for (let s = 0; s < gH.length; s++) gH[s] *= 1 - h[s]! * h[s]!;
    gemmTN(gH, x, gW1, H, 64, B);
    for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) gb1[j] += gH[r * H + j]!;
    return loss / n;
  };
}

/** scripts/bench-kan-torch.py's figures, or null (with the reason) when torch is not there. */
function torchReference(): Record<string, unknown> | null {
  const python = '/usr/bin/python3';
  const script = join(packageRoot(), 'scripts', 'bench-kan-torch.py');
  if (!existsSync(python) || !existsSync(script)) return null;
  const r = spawnSync(python, [script, String(REPS)], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0)
    return { skipped: (r.stderr || r.error?.message || 'failed').trim().split('\n').at(-1) };
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } catch {
    return { skipped: `unreadable output: ${r.stdout.slice(0, 200)}` };
  }
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
