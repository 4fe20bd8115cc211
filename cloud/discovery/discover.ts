/**
 * Discovery: KANs trained on every task of a family (or on user data), their edges snapped to
 * closed forms where they can be and turned into portable activations, deduplicated into a new
 * version of the library. Per task:
 *
 *   0. split the rows into disjoint train, validation and test sets (split.ts)
 *   1. with hidden layers: fit without regularisation from a coarse grid (3) and a few
 *      initialisations, keeping the best on validation; then sparsity training from that fit
 *      (λ/10, then λ). A single layer trains with sparsity from the start (L-BFGS, grid updated
 *      from the data)
 *   2. prune weak nodes, then consolidate: drop the weakest hidden node while a short retrain
 *      keeps the loss (pykan's "try a few seeds" made deterministic). Every shrink, and the
 *      sparse network itself, is judged on the validation rows against the fitted network (see
 *      SHRINK_TOLERANCE): one that underfits is refused and the larger network kept.
 *   3. grid extension coarse → fine, carrying the learned function over, without regularisation;
 *      with hidden layers the grids keep following the data and the grid the validation rows
 *      like best is kept (a fine grid can overfit)
 *   4. snap every active edge; build, simplify and refit the network's formula, then read it
 *      back in the user's units (inputs and target unscaled) and simplify and refit it there
 *   5. extract every active edge as a library entry
 *
 * Errors are reported on the test rows only, in the target's units and standardised (divided by
 * the target's standard deviation). Every step is seeded; the same options give the same
 * library, formula and figures.
 */

import type { ActivationEntry } from '../../shared/activations/index.js';
import { InputError, NumericError } from '../../shared/errors.js';
import type { ActivationLibrary } from '../../shared/library/library.js';
import { Rng } from '../../shared/numeric/rng.js';
import { refineKan } from '../kan/grid.js';
import { Kan } from '../kan/kan.js';
import { dropHiddenNode, edgeScores, pruneKan } from '../kan/prune.js';
import { trainKan } from '../kan/train.js';
import { type DedupReport, nextLibraryVersion } from './dedup.js';
import { type EdgeSamples, extractEdges } from './extract.js';
import { buildFormula, formulaRmse } from './formula.js';
import { productCandidate } from './product.js';
import { readNetwork, userRows } from './read-network.js';
import { type SplitOptions, splitTask } from './split.js';
import type { DiscoveryTask, TaskSample } from './tasks.js';

export interface DiscoverOptions extends SplitOptions {
  readonly tasks: readonly DiscoveryTask[];
  /** Family or data-set name, for provenance. */
  readonly source: string;
  readonly library: ActivationLibrary;
  readonly seed: number;
  /** Overrides every task's width list. */
  readonly width?: readonly number[];
  /** Initial grid intervals. @defaultValue 5 */
  readonly grid?: number;
  /** Grids to extend to, in order. @defaultValue [10, 20, 50] */
  readonly extendTo?: readonly number[];
  /** L-BFGS steps of the regularised phase and of each refinement. @defaultValue 20 */
  readonly steps?: number;
  /** @deprecated use trainRows / testRows */
  readonly trainPoints?: number;
  readonly testPoints?: number;
  /** Sparsity weight λ of the first phase. @defaultValue 1e-2 */
  readonly lambda?: number;
  /** How much validation R² a shrink may lose against the unpruned network. @defaultValue SHRINK_TOLERANCE */
  readonly shrinkTolerance?: number;
  /** Measure each new entry's ns per element in onnxruntime-node. @defaultValue true */
  readonly measureCost?: boolean;
  readonly onProgress?: (fraction: number, label: string) => void;
}

/**
 * Pruning and consolidation may lose at most this much validation R² (validation MSE over the
 * validation targets' variance) against the unpruned network, both polished by the same short
 * unregularised retrain. A shrink that loses more underfits and is refused.
 */
export const SHRINK_TOLERANCE = 2e-3;

/** One active edge of the final network, for plots: its snapped formula text when it snapped. */
export interface EdgeReport {
  readonly layer: number;
  readonly i: number;
  readonly j: number;
  readonly label: string | null;
}

export interface TaskReport {
  readonly task: string;
  readonly width: readonly number[];
  /** Product nodes per node layer (all 0 unless the product network was chosen, see product.ts). */
  readonly mult: readonly number[];
  /** The network's RMSE on the test rows, in the target's units. */
  readonly testRmse: number;
  /** testRmse over the target's standard deviation (the task's scaling, else the test rows'). */
  readonly testRmseStandardised: number;
  /** 1 − MSE / variance of the test targets. */
  readonly testR2: number;
  /** The formula in the user's units (inputs and target as in the data). */
  readonly formula: string;
  /** The formula over normalised inputs and target (as the network saw them). */
  readonly formulaNormalised: string;
  /** Test RMSE of the refitted formula in the target's units (null when an edge did not snap). */
  readonly formulaRmse: number | null;
  readonly formulaRmseStandardised: number | null;
  readonly edges: number;
  readonly snapped: number;
  readonly rows: { readonly train: number; readonly validation: number; readonly test: number };
  /** The final network and its active edges (for --plot); not part of the JSON summary. */
  readonly kan: Kan;
  readonly edgeReports: readonly EdgeReport[];
}

export interface DiscoverResult {
  readonly library: ActivationLibrary;
  readonly added: readonly ActivationEntry[];
  readonly report: DedupReport;
  readonly tasks: readonly TaskReport[];
}

function mse(pred: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return s / y.length;
}

function variance(y: Float64Array): number {
  let m = 0;
  for (const v of y) m += v / y.length;
  let s = 0;
  for (const v of y) s += (v - m) ** 2;
  return s / y.length;
}

function checkFinite(kan: Kan, stage: string, task: string): void {
  for (const v of kan.params) {
    if (!Number.isFinite(v))
      throw new NumericError(`discovery on '${task}' diverged during ${stage} (non-finite parameter)`);
  }
}

/** Hidden nodes, weakest first by pruneKan's importance: min(best incoming, best outgoing) edge score. */
function hiddenByImportance(kan: Kan, x: Float64Array, batch: number): { layer: number; node: number }[] {
  const scores = edgeScores(kan, x, batch);
  const nodes: { layer: number; node: number; score: number }[] = [];
  for (let l = 1; l < kan.width.length - 1; l++) {
    const n = kan.width[l]!;
    if (n < 2) continue;
    const nPrev = kan.width[l - 1]!;
    const nNext = kan.width[l + 1]!;
    for (let node = 0; node < n; node++) {
      let inBest = 0;
      for (let i = 0; i < nPrev; i++) inBest = Math.max(inBest, scores[l - 1]![i * n + node]!);
      let outBest = 0;
      for (let j = 0; j < nNext; j++) outBest = Math.max(outBest, scores[l]![node * nNext + j]!);
      nodes.push({ layer: l, node, score: Math.min(inBest, outBest) });
    }
  }
  return nodes.sort((a, b) => a.score - b.score || a.layer - b.layer || a.node - b.node);
}

/** Judges shrinks on the validation rows against the unpruned network (see SHRINK_TOLERANCE). */
class ShrinkJudge {
  private readonly refMse: number;
  private readonly variance: number;
  constructor(
    unpruned: Kan,
    private readonly train: TaskSample,
    private readonly validation: TaskSample,
    private readonly steps: number,
    private readonly tolerance: number,
  ) {
    this.variance = Math.max(variance(validation.y), 1e-300);
    this.refMse = this.validationMse(unpruned);
  }

  /** Validation MSE after a short unregularised polish of a copy (the network is unchanged). */
  private validationMse(kan: Kan): number {
    const copy = new Kan(kan.layers);
    trainKan(copy, this.train, { schedule: { steps: this.steps }, grid: { update: false } });
    const v = mse(copy.predict(this.validation.x, this.validation.batch), this.validation.y);
    return Number.isFinite(v) ? v : Infinity;
  }

  accepts(candidate: Kan): boolean {
    return this.validationMse(candidate) <= this.refMse + this.tolerance * this.variance;
  }
}

/** Hidden nodes tried per round of consolidation, weakest first. */
const CONSOLIDATE_TRIES = 2;

/** Offsets to the run's seed of the fresh narrower networks tried (pykan's "try a few seeds"). */
const FRESH_SEEDS = [0, 1000, 2000];

interface ShrinkContext {
  readonly train: TaskSample;
  readonly steps: number;
  readonly lambda: number;
  readonly grid: number;
  readonly seed: number;
  readonly judge: ShrinkJudge;
}

/**
 * Drop hidden nodes one at a time while the judge accepts: each round tries the weakest few
 * nodes (a short regularised retrain each), then (one hidden layer only) fresh networks of
 * smaller width, narrowest first, each fitted and sparsified as the first network was (sparsity
 * training can leave the function spread over more nodes than it needs, and removing one node
 * from such a network does not recover); the first the judge accepts is taken.
 */
function consolidate(kan: Kan, c: ShrinkContext): Kan {
  for (;;) {
    const order = hiddenByImportance(kan, c.train.x, c.train.batch).slice(0, CONSOLIDATE_TRIES);
    if (order.length === 0) return kan;
    let next: Kan | null = null;
    for (const { layer, node } of order) {
      const candidate = dropHiddenNode(kan, layer, node);
      trainKan(candidate, c.train, {
        regularisation: { lambda: c.lambda },
        schedule: { steps: c.steps },
        grid: { update: false },
      });
      if (c.judge.accepts(candidate)) {
        next = candidate;
        break;
      }
    }
    // fresh networks, narrowest first, in the layer of the weakest node; only with one hidden
    // layer, where a fresh fit is cheap (deeper networks would retrain from scratch per width)
    const layer = order[0]!.layer;
    for (let w = 1; !next && kan.width.length === 3 && w < kan.width[layer]!; w++) {
      const width = kan.width.map((n, l) => (l === layer ? w : n));
      for (const seed of FRESH_SEEDS.map((s) => c.seed + s)) {
        const fresh = Kan.create(width, { G: c.grid, seed });
        trainKan(fresh, c.train, { schedule: { steps: c.steps }, grid: HIDDEN_GRID, seed });
        sparsify(fresh, c.train, c.lambda, c.steps, seed);
        if (c.judge.accepts(fresh)) {
          next = fresh;
          break;
        }
      }
    }
    if (!next) return kan;
    kan = next;
  }
}

/** Grid a network with hidden layers starts from: coarse (pykan's grid 3), since a fine grid
 * from the start lets the hidden layers settle in poor minima; grid extension refines it. */
const HIDDEN_START_GRID = 3;
const SINGLE_START_GRID = 5;
const HIDDEN_EXTEND_TO: readonly number[] = [5, 10, 20, 50];
const SINGLE_EXTEND_TO: readonly number[] = [10, 20, 50];

/**
 * Grid updates of a network with hidden layers leave a margin of 10% of the data's range beyond
 * each end: a hidden node's held-out values can pass the training rows' extremes, and a fine
 * adaptive grid extrapolates badly (one test row of the toy 0.3 off at grid 50 without a margin,
 * 0.03 with 5%; the split's test RMSE 2.3e-2, 2.1e-3 and 2.9e-4 with none, 5% and 10%).
 */
const HIDDEN_GRID = Object.freeze({ update: true, margin: 0.1 });

/** Offsets to the run's seed of the initialisations a network with hidden layers starts from. */
const START_SEEDS = [0, 1000, 2000];

function validationMse(kan: Kan, validation: TaskSample): number {
  const v = mse(kan.predict(validation.x, validation.batch), validation.y);
  return Number.isFinite(v) ? v : Infinity;
}

/**
 * The first phase of a network with hidden layers: fit without regularisation (grids following
 * the data) from a few initialisations, keep the one validation likes best and train it on.
 * Sparsity from the first step starves a deep network of signal (at λ 1e-2 the KAN paper's
 * [4,4,2,1] example collapsed to a constant), so sparsity comes after the fit (sparsify).
 */
function fitFromScratch(
  width: readonly number[],
  train: TaskSample,
  validation: TaskSample,
  grid: number,
  seed: number,
  steps: number,
): Kan {
  let best: { kan: Kan; mse: number } | null = null;
  for (const s of START_SEEDS.map((o) => seed + o)) {
    const kan = Kan.create(width, { G: grid, seed: s });
    trainKan(kan, train, { schedule: { steps: Math.ceil(steps / 2) }, grid: HIDDEN_GRID, seed: s });
    const m = validationMse(kan, validation);
    if (!best || m < best.mse) best = { kan, mse: m };
  }
  const kan = best!.kan;
  trainKan(kan, train, { schedule: { steps }, grid: HIDDEN_GRID, seed });
  return kan;
}

/** Sparsity training from a fitted network, λ raised in two stages so that the fit is kept. */
function sparsify(kan: Kan, train: TaskSample, lambda: number, steps: number, seed: number): void {
  const half = Math.max(1, Math.ceil(steps / 2));
  const grid = HIDDEN_GRID;
  trainKan(kan, train, { regularisation: { lambda: lambda / 10 }, schedule: { steps: half }, grid, seed });
  trainKan(kan, train, { regularisation: { lambda }, schedule: { steps }, grid, seed });
}

async function discoverTask(
  task: DiscoveryTask,
  o: DiscoverOptions,
  index: number,
  progress: (f: number, l: string) => void,
) {
  const rng = new Rng(o.seed).fork(`task:${task.name}`);
  const width = o.width ?? task.width;
  if (width[0] !== task.inputNames.length || width.at(-1) !== 1) {
    throw new InputError(
      `--width ${width.join(',')} must start with ${task.inputNames.length} inputs (${task.inputNames.join(', ')}) and end with 1 output`,
    );
  }
  const { train, validation, test } = splitTask(task, rng, {
    ...o,
    ...(o.trainRows === undefined && o.trainPoints !== undefined ? { trainRows: o.trainPoints } : {}),
    ...(o.testRows === undefined && o.testPoints !== undefined ? { testRows: o.testPoints } : {}),
  });
  const steps = o.steps ?? 20;
  const lambda = o.lambda ?? 1e-2;
  const hidden = width.length > 2;
  const startGrid = o.grid ?? (hidden ? HIDDEN_START_GRID : SINGLE_START_GRID);
  let kan: Kan;
  if (hidden) {
    progress(0.05, `${task.name}: fitting`);
    const fitted = fitFromScratch(width, train, validation, startGrid, o.seed + index, steps);
    checkFinite(fitted, 'training', task.name);
    progress(0.2, `${task.name}: training with sparsity`);
    const judge = new ShrinkJudge(fitted, train, validation, steps, o.shrinkTolerance ?? SHRINK_TOLERANCE);
    const sparse = new Kan(fitted.layers);
    sparsify(sparse, train, lambda, steps, o.seed);
    checkFinite(sparse, 'training with sparsity', task.name);
    progress(0.3, `${task.name}: pruning`);
    // the pruned sparse network if it fits; else the sparse one unpruned; sparsity that
    // underfits is dropped, and the fitted network goes on (pruning it would remove little)
    const pruned = pruneKan(sparse, train.x, train.batch).kan;
    if (judge.accepts(pruned)) kan = pruned;
    else kan = judge.accepts(sparse) ? sparse : fitted;
    kan = consolidate(kan, { train, steps, lambda, grid: startGrid, seed: o.seed + index, judge });
  } else {
    kan = Kan.create(width, { G: startGrid, seed: o.seed + index });
    progress(0.05, `${task.name}: training with sparsity`);
    trainKan(kan, train, { regularisation: { lambda }, schedule: { steps }, seed: o.seed });
    checkFinite(kan, 'training', task.name);
  }
  const grids = o.extendTo ?? (hidden ? HIDDEN_EXTEND_TO : SINGLE_EXTEND_TO);
  let best = { kan, mse: validationMse(kan, validation) };
  for (const [g, G] of grids.entries()) {
    progress(0.4 + (0.4 * g) / grids.length, `${task.name}: grid ${G}`);
    kan = refineKan(kan, G, train.x, train.batch);
    // hidden nodes' ranges move as the network trains, so their grids follow the data
    trainKan(kan, train, {
      schedule: { steps: Math.max(steps, 30) },
      grid: hidden ? HIDDEN_GRID : { update: false },
      seed: o.seed,
    });
    checkFinite(kan, `grid extension to ${G}`, task.name);
    const m = validationMse(kan, validation);
    if (!hidden || m <= best.mse) best = { kan, mse: m };
  }
  // a finer grid can overfit a network with hidden layers: keep the grid validation liked best
  kan = best.kan;
  progress(0.85, `${task.name}: snapping`);
  let reading = readNetwork(kan, task, train);
  if (task.inputNames.length >= 2) {
    // pykan 2's multiplication node as a second candidate, kept when its formula is as good (product.ts)
    progress(0.9, `${task.name}: product network`);
    const additive = {
      networkMse: mse(kan.predict(validation.x, validation.batch), validation.y),
      formulaMse: reading.allSnapped
        ? formulaRmse(reading.normalised, validation.x, validation.y) ** 2
        : null,
    };
    const product = productCandidate(task, train, validation, additive, {
      seed: o.seed + index,
      steps,
      grid: o.grid ?? 5,
    });
    if (product) {
      checkFinite(product.kan, 'training the product network', task.name);
      ({ kan, reading } = product);
    }
  }
  const { samples, flat, snapped, allSnapped, normalised, formula } = reading;
  const targetScale = task.scaling?.target.scale ?? 1;
  const rawTest = userRows(task, test);
  const testMse = mse(kan.predict(test.x, test.batch), test.y) * targetScale ** 2;
  const testStd = task.scaling ? targetScale : Math.sqrt(variance(rawTest.y));
  const formulaTestRmse = allSnapped ? formulaRmse(formula, rawTest.x, rawTest.y) : null;
  // a flat edge is a constant of the formula, not a shape worth a library entry
  const extracted = await extractEdges(
    samples.filter((_, k) => !flat[k]),
    {
      provenance: { family: o.source, run: task.name, seed: o.seed },
      task: task.name,
      measureCost: o.measureCost ?? true,
    },
  );
  const testRmse = Math.sqrt(testMse);
  const report: TaskReport = {
    task: task.name,
    width: [...kan.width],
    mult: [...kan.mult],
    testRmse,
    testRmseStandardised: testRmse / testStd,
    testR2: 1 - testMse / Math.max(variance(rawTest.y), 1e-300),
    formula: `${task.targetName} = ${formula.text[0]}`,
    formulaNormalised: `${task.targetName} = ${normalised.text[0]}`,
    formulaRmse: formulaTestRmse,
    formulaRmseStandardised: formulaTestRmse === null ? null : formulaTestRmse / testStd,
    edges: samples.length,
    snapped,
    rows: { train: train.batch, validation: validation.batch, test: test.batch },
    kan,
    edgeReports: samples.map((e, k) => ({
      layer: e.layer,
      i: e.i,
      j: e.j,
      label: e.snap ? snapLabel(e.snap) : flat[k] ? 'const' : null,
    })),
  };
  return { report, entries: extracted.map((e) => e.entry) };
}

/** Text of one snapped edge, c·f(a·x + b) + d, through the formula printer. */
function snapLabel(fit: NonNullable<EdgeSamples['snap']>): string {
  return buildFormula([1, 1], [{ layer: 0, i: 0, j: 0, fit }], { inputNames: ['x'] }).text[0]!;
}

export async function discover(o: DiscoverOptions): Promise<DiscoverResult> {
  if (o.tasks.length === 0) throw new InputError('discovery needs at least one task');
  const fresh: ActivationEntry[] = [];
  const tasks: TaskReport[] = [];
  for (const [index, task] of o.tasks.entries()) {
    const share = 1 / o.tasks.length;
    const r = await discoverTask(task, o, index, (f, label) => o.onProgress?.((index + f) * share, label));
    tasks.push(r.report);
    fresh.push(...r.entries);
  }
  o.onProgress?.(0.97, 'merging into the library');
  const { library, report } = nextLibraryVersion(o.library, fresh);
  const added = library.entries.filter((e) => report.added.includes(e.id));
  o.onProgress?.(1, 'done');
  return { library, added, report, tasks };
}
