/**
 * trainKan: fit a KAN's parameters to (x, y) with L-BFGS or Adam on MSE plus the sparsity
 * penalty, updating grids from the data at the scheduled steps (pykan's fit()).
 *
 * One step is one L-BFGS run of optimizer.lbfgsIterations iterations (pykan's LBFGS step with
 * max_iter 20; the curvature history restarts each step, which also keeps it valid across grid
 * updates) or one Adam update. The KAN is trained in place and also returned.
 *
 * @example
 *   const { history } = trainKan(kan, { x, y, batch }, { regularisation: { lambda: 1e-2 } });
 */
import { InputError, ShapeError } from '../../shared/errors.js';
import { Adam } from '../../shared/numeric/adam.js';
import { lbfgs } from '../../shared/numeric/lbfgs.js';
import { Rng } from '../../shared/numeric/rng.js';
import { Var } from '../../shared/numeric/tape.js';
import { updateKanGrid } from './grid.js';
import type { Kan } from './kan.js';
import { KanObjective } from './objective.js';
import { resolveTrainOptions, type TrainKanInput, type TrainKanOptions } from './options.js';

/** Training data: x [batch, width[0]], y [batch, width[L]]. */
export interface KanData {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly batch: number;
}

export interface TrainKanResult {
  readonly kan: Kan;
  /** Per step: training MSE and penalty after the step. */
  readonly history: { readonly loss: number[]; readonly reg: number[] };
  readonly options: TrainKanOptions;
}

function checkData(kan: Kan, data: KanData): void {
  const { x, y, batch } = data;
  if (!Number.isInteger(batch) || batch < 1)
    throw new InputError(`trainKan: batch must be ≥ 1, got ${batch}`);
  if (x.length !== batch * kan.width[0]! || y.length !== batch * kan.width.at(-1)!) {
    throw new ShapeError(
      `trainKan: x (${x.length}) and y (${y.length}) values do not fit [${batch}, ${kan.width[0]}] and [${batch}, ${kan.width.at(-1)}]`,
    );
  }
}

/** Rows idx of a [batch, n] matrix into out [idx.length, n]. */
function gather(
  src: Float64Array,
  n: number,
  idx: Int32Array,
  from: number,
  count: number,
  out: Float64Array,
): void {
  for (let r = 0; r < count; r++) out.set(src.subarray(idx[from + r]! * n, (idx[from + r]! + 1) * n), r * n);
}

export function trainKan(kan: Kan, data: KanData, input: TrainKanInput = {}): TrainKanResult {
  checkData(kan, data);
  const options = resolveTrainOptions(input);
  const { optimizer, schedule, regularisation, grid } = options;
  const { x, y, batch } = data;
  const objective = new KanObjective(kan);
  const history = { loss: [] as number[], reg: [] as number[] };
  const gridEvery = Math.max(1, Math.floor(grid.stopAt / Math.max(1, grid.updates)));

  const nIn = kan.width[0]!;
  const nOut = kan.width.at(-1)!;
  const mb = optimizer.batchSize > 0 ? Math.min(optimizer.batchSize, batch) : batch;
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  const rng = new Rng(options.seed).fork('kan-minibatch');
  const xb = new Float64Array(mb * nIn);
  const yb = new Float64Array(mb * nOut);
  let cursor = batch;
  const theta = Var.param(kan.params, [kan.params.length], 'kan.params');
  const adam = optimizer.kind === 'adam' ? new Adam([theta], { lr: optimizer.lr }) : null;

  for (let step = 0; step < schedule.steps; step++) {
    if (grid.update && step % gridEvery === 0 && step < grid.stopAt)
      updateKanGrid(kan, x, batch, grid.eps, grid.margin);
    if (adam) {
      let bx = x;
      let by = y;
      if (mb < batch) {
        if (cursor + mb > batch) {
          rng.shuffle(order);
          cursor = 0;
        }
        gather(x, nIn, order, cursor, mb, xb);
        gather(y, nOut, order, cursor, mb, yb);
        cursor += mb;
        bx = xb;
        by = yb;
      }
      objective.evaluate(bx, by, mb, regularisation, theta.grad!);
      if (schedule.lrDecay === 'cosine')
        adam.lr = optimizer.lr * 0.5 * (1 + Math.cos((Math.PI * step) / schedule.steps));
      adam.step();
    } else {
      const res = lbfgs(
        (p, g) => {
          kan.params.set(p);
          const v = objective.evaluate(x, y, batch, regularisation, g);
          return v.loss + v.reg;
        },
        kan.params,
        {
          maxIterations: optimizer.lbfgsIterations,
          history: optimizer.history,
          gradTol: 1e-14,
          lossTol: 1e-15,
        },
      );
      kan.params.set(res.x);
    }
    const v = objective.evaluate(x, y, batch, regularisation, null);
    history.loss.push(v.loss);
    history.reg.push(v.reg);
    options.onStep?.(step, v);
  }
  return { kan, history, options };
}
