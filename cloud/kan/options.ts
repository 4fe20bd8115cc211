/**
 * Options of trainKan, grouped (optimizer, schedule, regularisation, grid) instead of pykan's
 * thirty fit() flags. TRAIN_DEFAULTS holds every default in one frozen object; the defaults
 * follow pykan's fit() where it has one.
 */
import type { RegularisationWeights } from './regularisation.js';

export type OptimizerKind = 'lbfgs' | 'adam';

export interface OptimizerOptions {
  /** @defaultValue 'lbfgs' */
  readonly kind: OptimizerKind;
  /** Adam step size (unused by L-BFGS, whose line search picks the step). @defaultValue 1e-2 */
  readonly lr: number;
  /** L-BFGS iterations per training step (torch.optim.LBFGS's max_iter, as pykan uses it). @defaultValue 20 */
  readonly lbfgsIterations: number;
  /** L-BFGS correction pairs kept. @defaultValue 10 */
  readonly history: number;
  /** Samples per Adam step; 0 = the whole batch. L-BFGS always uses the whole batch. @defaultValue 0 */
  readonly batchSize: number;
}

export interface ScheduleOptions {
  /** Training steps (pykan's steps). @defaultValue 50 */
  readonly steps: number;
  /** Adam learning-rate schedule over the steps. @defaultValue 'constant' */
  readonly lrDecay: 'constant' | 'cosine';
}

export interface GridScheduleOptions {
  /** Update grids from the data during training. @defaultValue true */
  readonly update: boolean;
  /** Number of grid updates (pykan's grid_update_num). @defaultValue 10 */
  readonly updates: number;
  /** No grid updates from this step on (pykan's stop_grid_update_step). @defaultValue 50 */
  readonly stopAt: number;
  /** Weight of the uniform grid in each update (pykan's grid_eps). @defaultValue 0.02 */
  readonly eps: number;
  /** Share of the data range each update adds beyond both ends of the grid. @defaultValue 0 */
  readonly margin: number;
}

/** Progress of one step: MSE on the training data and the regularisation penalty. */
export interface StepReport {
  readonly loss: number;
  readonly reg: number;
}

export interface TrainKanOptions {
  readonly optimizer: OptimizerOptions;
  readonly schedule: ScheduleOptions;
  /** Sparsity penalty λ·(λ_L1·L1 + λ_entropy·entropy); λ = 0 turns it off. @defaultValue λ 0, L1 1, entropy 2 */
  readonly regularisation: RegularisationWeights;
  readonly grid: GridScheduleOptions;
  /** Seed of the minibatch order (training is otherwise deterministic). @defaultValue 0 */
  readonly seed: number;
  /** Called after every step with its step number (0-based). */
  readonly onStep?: (step: number, report: StepReport) => void;
}

/** Partial options, each group partial too. */
export interface TrainKanInput {
  readonly optimizer?: Partial<OptimizerOptions>;
  readonly schedule?: Partial<ScheduleOptions>;
  readonly regularisation?: Partial<RegularisationWeights>;
  readonly grid?: Partial<GridScheduleOptions>;
  readonly seed?: number;
  readonly onStep?: (step: number, report: StepReport) => void;
}

export const TRAIN_DEFAULTS: Readonly<TrainKanOptions> = Object.freeze({
  optimizer: Object.freeze({ kind: 'lbfgs', lr: 1e-2, lbfgsIterations: 20, history: 10, batchSize: 0 }),
  schedule: Object.freeze({ steps: 50, lrDecay: 'constant' }),
  regularisation: Object.freeze({ lambda: 0, l1: 1, entropy: 2 }),
  grid: Object.freeze({ update: true, updates: 10, stopAt: 50, eps: 0.02, margin: 0 }),
  seed: 0,
});

/** Defaults filled in, group by group. */
export function resolveTrainOptions(input: TrainKanInput = {}): TrainKanOptions {
  return {
    optimizer: { ...TRAIN_DEFAULTS.optimizer, ...input.optimizer },
    schedule: { ...TRAIN_DEFAULTS.schedule, ...input.schedule },
    regularisation: { ...TRAIN_DEFAULTS.regularisation, ...input.regularisation },
    grid: { ...TRAIN_DEFAULTS.grid, ...input.grid },
    seed: input.seed ?? TRAIN_DEFAULTS.seed,
    ...(input.onStep ? { onStep: input.onStep } : {}),
  };
}
