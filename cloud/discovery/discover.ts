/**
 * Discovery: KANs trained on every task of a family (or on user data), their edges snapped to
 * closed forms where they can be and turned into portable activations, deduplicated into a new
 * version of the library. Per task:
 *
 *   1. train with sparsity regularisation (L-BFGS, grid updated from the data)
 *   2. prune weak nodes, then consolidate: drop the weakest hidden node while a short retrain
 *      keeps the loss (pykan's "try a few seeds" made deterministic)
 *   3. grid extension coarse → fine, carrying the learned function over, without regularisation
 *   4. snap every active edge; build, simplify and refit the network's formula
 *   5. extract every active edge as a library entry
 *
 * Every step is seeded; the same options give the same library, formula and figures.
 */

import type { ActivationEntry } from '../../shared/activations/index.js';
import { InputError, NumericError } from '../../shared/errors.js';
import type { ActivationLibrary } from '../../shared/library/library.js';
import { Rng } from '../../shared/numeric/rng.js';
import { refineKan } from '../kan/grid.js';
import { Kan } from '../kan/kan.js';
import { edgeScores, pruneKan } from '../kan/prune.js';
import { trainKan } from '../kan/train.js';
import { type DedupReport, nextLibraryVersion } from './dedup.js';
import { type EdgeSamples, extractEdges } from './extract.js';
import { buildFormula, type EdgeSpec, formulaRmse } from './formula.js';
import { refitFormula } from './formula-refit.js';
import { simplifyFormula } from './formula-simplify.js';
import { snapEdge } from './symbolic.js';
import type { DiscoveryTask, TaskSample } from './tasks.js';

export interface DiscoverOptions {
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
  /** @defaultValue 1000 each */
  readonly trainPoints?: number;
  readonly testPoints?: number;
  /** Sparsity weight λ of the first phase. @defaultValue 1e-2 */
  readonly lambda?: number;
  /** Measure each new entry's ns per element in onnxruntime-node. @defaultValue true */
  readonly measureCost?: boolean;
  readonly onProgress?: (fraction: number, label: string) => void;
}

export interface TaskReport {
  readonly task: string;
  readonly width: readonly number[];
  readonly testRmse: number;
  readonly formula: string;
  /** Test RMSE of the refitted formula (null when an edge did not snap). */
  readonly formulaRmse: number | null;
  readonly edges: number;
  readonly snapped: number;
}

export interface DiscoverResult {
  readonly library: ActivationLibrary;
  readonly added: readonly ActivationEntry[];
  readonly report: DedupReport;
  readonly tasks: readonly TaskReport[];
}

function rmse(pred: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

function checkFinite(kan: Kan, stage: string, task: string): void {
  for (const v of kan.params) {
    if (!Number.isFinite(v))
      throw new NumericError(`discovery on '${task}' diverged during ${stage} (non-finite parameter)`);
  }
}

/** Hidden-node importance as pruneKan sees it: min(best incoming, best outgoing) edge score. */
function weakestHidden(kan: Kan, x: Float64Array, batch: number): { layer: number; score: number } | null {
  const scores = edgeScores(kan, x, batch);
  let best: { layer: number; score: number } | null = null;
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
      const s = Math.min(inBest, outBest);
      if (!best || s < best.score) best = { layer: l, score: s };
    }
  }
  return best;
}

/** Drop the weakest hidden node while a retrain keeps the training loss within `slack`. */
function consolidate(kan: Kan, train: TaskSample, steps: number, lambda: number, slack = 1.5): Kan {
  const base = rmse(kan.predict(train.x, train.batch), train.y);
  for (;;) {
    const weak = weakestHidden(kan, train.x, train.batch);
    if (!weak) return kan;
    const candidate = pruneKan(kan, train.x, train.batch, {
      nodeThreshold: weak.score * 1.000001 + 1e-12,
    }).kan;
    if (candidate.parameterCount() >= kan.parameterCount()) return kan;
    trainKan(candidate, train, { regularisation: { lambda }, schedule: { steps }, grid: { update: false } });
    const loss = rmse(candidate.predict(train.x, train.batch), train.y);
    if (!(loss <= base * slack + 1e-9)) return kan;
    kan = candidate;
  }
}

async function discoverTask(
  task: DiscoveryTask,
  o: DiscoverOptions,
  index: number,
  progress: (f: number, l: string) => void,
) {
  const rng = new Rng(o.seed).fork(`task:${task.name}`);
  const train = task.sample(rng.fork('train'), o.trainPoints ?? 1000);
  const test = task.sample(rng.fork('test'), o.testPoints ?? 1000);
  if (train.batch < 10 || test.batch < 1)
    throw new InputError(`task '${task.name}': too few samples (${train.batch} train, ${test.batch} test)`);
  const width = o.width ?? task.width;
  if (width[0] !== task.inputNames.length || width.at(-1) !== 1) {
    throw new InputError(
      `--width ${width.join(',')} must start with ${task.inputNames.length} inputs and end with 1 output`,
    );
  }
  const steps = o.steps ?? 20;
  const lambda = o.lambda ?? 1e-2;
  let kan = Kan.create(width, { G: o.grid ?? 5, seed: o.seed + index });
  progress(0.05, `${task.name}: training with sparsity`);
  trainKan(kan, train, { regularisation: { lambda }, schedule: { steps }, seed: o.seed });
  checkFinite(kan, 'training', task.name);
  if (width.length > 2) {
    progress(0.3, `${task.name}: pruning`);
    kan = pruneKan(kan, train.x, train.batch).kan;
    kan = consolidate(kan, train, steps, lambda);
  }
  const grids = o.extendTo ?? [10, 20, 50];
  for (const [g, G] of grids.entries()) {
    progress(0.4 + (0.4 * g) / grids.length, `${task.name}: grid ${G}`);
    kan = refineKan(kan, G, train.x, train.batch);
    trainKan(kan, train, { schedule: { steps: Math.max(steps, 30) }, grid: { update: false }, seed: o.seed });
    checkFinite(kan, `grid extension to ${G}`, task.name);
  }
  const testRmse = rmse(kan.predict(test.x, test.batch), test.y);
  progress(0.85, `${task.name}: snapping`);
  const samples: EdgeSamples[] = kan.activeEdges().map(({ l, i, j }) => {
    const s = kan.edgeSamples(train.x, train.batch, l, i, j);
    return { layer: l, i, j, x: s.x, y: s.y, snap: snapEdge(s.x, s.y).chosen };
  });
  const specs: EdgeSpec[] = samples.map((e) =>
    e.snap
      ? { layer: e.layer, i: e.i, j: e.j, fit: e.snap }
      : { layer: e.layer, i: e.i, j: e.j, fit: 'spline', x: e.x, y: e.y },
  );
  let formula = simplifyFormula(
    buildFormula(kan.width, specs, { inputNames: task.inputNames }),
    train.x,
    train.y,
  );
  const snapped = samples.filter((e) => e.snap).length;
  let formulaTestRmse: number | null = null;
  if (snapped === samples.length && samples.length > 0) {
    const refit = refitFormula(formula, train.x, train.y);
    formula = simplifyFormula(refit.formula, train.x, train.y);
    formulaTestRmse = formulaRmse(formula, test.x, test.y);
  }
  const extracted = await extractEdges(samples, {
    provenance: { family: o.source, run: task.name, seed: o.seed },
    task: task.name,
    measureCost: o.measureCost ?? true,
  });
  const report: TaskReport = {
    task: task.name,
    width: [...kan.width],
    testRmse,
    formula: `${task.targetName} = ${formula.text[0]}`,
    formulaRmse: formulaTestRmse,
    edges: samples.length,
    snapped,
  };
  return { report, entries: extracted.map((e) => e.entry) };
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
