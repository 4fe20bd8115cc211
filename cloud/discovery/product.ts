/**
 * The product candidate of discovery (pykan 2's multiplication nodes): besides the additive KAN,
 * a task with two or more inputs also trains pykan's [n, [0, 1], 1], one product node of two
 * sub-node sums, then one edge to the output (cloud/kan/mult.ts). x·y needs a product: an
 * additive KAN can only write it as a difference of squares over two nodes, whose inner edges
 * need not come out linear, so no edge snaps; the product network writes it with two linear
 * edges, which snap, and the formula expands to x·y (in the user's units, V·I with the scalings
 * folded in).
 *
 * The product network is trained without the sparsity penalty and without grid updates. It is
 * minimal and never pruned, so the penalty has nothing to select, and it makes the all-zero
 * product (a saddle: each factor's gradient is the other factor) attracting: on x·y at λ = 1e-2
 * training stalled there for 2 of 4 seeds, at λ = 0 for none. Updating the output edge's grid
 * to the product's early, narrow range strands it when the range then grows (4 of 8 seeds
 * stalled at MSE 2e-2), so the grids follow the data once, after training, before a long polish.
 *
 * Reading: the product network's edges are snapped as any network's are; it is also read with
 * every edge that is not flat as its least-squares line, the whole formula refitted, and the
 * reading whose formula does better on the validation rows is kept. The lines are the hypothesis that
 * the target is an affine map of a product of two affine functions of the inputs, needed where a product has an offset: P = V·I standardised is k·(v + 11)·(i + 1) − m, which a
 * product network also fits as ψ(A·B) with a power-like ψ and curved factors (V·I on
 * [200, 240] × [0, 10], seeds 0–3: no edge set snapped), while its formula in lines is exact.
 *
 * Choice (preferProduct): the product formula (every edge snapped or a line) replaces the
 * additive KAN when its validation MSE is at most (1 + PRODUCT_MARGIN) times the best the
 * additive KAN gives (its network or its formula) and, when the additive KAN has a complete
 * formula too, strictly below that formula's. A formula that is only as good as a fitted
 * network within a tolerance would be an approximation; a true product's formula is at least as
 * accurate as the network that found it (exact data: 1e-30 against 1e-8).
 */
import { updateKanGrid } from '../kan/grid.js';
import { Kan } from '../kan/kan.js';
import { trainKan } from '../kan/train.js';
import { formulaRmse } from './formula.js';
import { type NetworkReading, tryReadNetwork } from './read-network.js';
import type { DiscoveryTask, TaskSample } from './tasks.js';

export interface ProductTraining {
  readonly seed: number;
  /** Steps of the first phase; the polish takes 2·max(steps, 30). */
  readonly steps: number;
  /** Grid intervals. */
  readonly grid: number;
}

/** pykan's width [n, [0, 1], 1]. */
export function productWidth(inputs: number): { width: number[]; mult: number[] } {
  return { width: [inputs, 1, 1], mult: [0, 1, 0] };
}

/** The product network for `train` (see the file header). */
export function trainProductKan(train: TaskSample, inputs: number, o: ProductTraining): Kan {
  const { width, mult } = productWidth(inputs);
  const kan = Kan.create(width, { mult, G: o.grid, seed: o.seed });
  trainKan(kan, train, { schedule: { steps: o.steps }, grid: { update: false }, seed: o.seed });
  updateKanGrid(kan, train.x, train.batch, 0.02);
  // a long polish: the product network's test RMSE on x·y went 1.5e-4 → 8.8e-5 from 30 to 60 steps
  trainKan(kan, train, {
    schedule: { steps: 2 * Math.max(o.steps, 30) },
    grid: { update: false },
    seed: o.seed,
  });
  return kan;
}

/** What the choice compares, all on the validation rows in normalised units. */
export interface CandidateErrors {
  /** The additive KAN's network MSE. */
  readonly additiveNetwork: number;
  /** The additive KAN's formula MSE, or null when an edge did not snap. */
  readonly additiveFormula: number | null;
  /** The product network's formula MSE, or null when it has no complete formula. */
  readonly productFormula: number | null;
  /** Variance of the validation targets. */
  readonly variance: number;
}

/** How much worse than the additive KAN's best validation MSE a product formula may be (relative). */
export const PRODUCT_MARGIN = 0.25;

/** Whether the product network replaces the additive KAN (see the file header). */
export function preferProduct(e: CandidateErrors, margin = PRODUCT_MARGIN): boolean {
  if (e.productFormula === null || !Number.isFinite(e.productFormula)) return false;
  const best = Math.min(e.additiveNetwork, e.additiveFormula ?? Infinity);
  if (!(e.productFormula <= (1 + margin) * best + 1e-12 * e.variance)) return false;
  return e.additiveFormula === null || e.productFormula < e.additiveFormula;
}

function varianceOf(y: Float64Array): number {
  let m = 0;
  for (const v of y) m += v / y.length;
  let s = 0;
  for (const v of y) s += (v - m) ** 2 / y.length;
  return s;
}

/**
 * Train the product network and read it (both readings, the better formula on the validation
 * rows); returns it when preferProduct takes it over the additive KAN, else null. Not trained
 * when the additive KAN's formula is complete and at least as good as its network.
 * @param additive the additive KAN's validation MSEs, network and formula (null: incomplete).
 */
export function productCandidate(
  task: DiscoveryTask,
  train: TaskSample,
  validation: TaskSample,
  additive: { readonly networkMse: number; readonly formulaMse: number | null },
  o: ProductTraining,
): { kan: Kan; reading: NetworkReading } | null {
  // a complete additive formula as good as its network leaves a product nothing to win: skip the training
  if (additive.formulaMse !== null && additive.formulaMse <= additive.networkMse) return null;
  const kan = trainProductKan(train, task.inputNames.length, o);
  const best = [tryReadNetwork(kan, task, train), tryReadNetwork(kan, task, train, { linearise: true })]
    .map((r) => ({ r, e: r?.allSnapped ? formulaRmse(r.normalised, validation.x, validation.y) ** 2 : NaN }))
    .filter((c): c is { r: NetworkReading; e: number } => c.r !== null && Number.isFinite(c.e))
    .sort((a, b) => a.e - b.e)[0];
  const errors: CandidateErrors = {
    additiveNetwork: additive.networkMse,
    additiveFormula: additive.formulaMse,
    productFormula: best?.e ?? null,
    variance: varianceOf(validation.y),
  };
  return best && preferProduct(errors) ? { kan, reading: best.r } : null;
}
