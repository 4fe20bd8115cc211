/**
 * A trained KAN read as a formula: every active edge is snapped to a closed form where one
 * explains it (symbolic.ts); the network's formula is built from the edges, simplified and (when
 * every edge snapped) refitted on the training rows, then read back in the user's units
 * (formula-units.ts) and simplified and refitted there.
 *
 * An edge that does not snap but is flat next to its layer's other edges (its spread over the
 * data at most FLAT_EDGE of the largest) is read as its mean: a constant, which the refit then
 * moves with every other constant. With multiplication nodes the edges into a product carry
 * such offsets (x·y comes out as (a·x + b)·(c·y + d) whose b, d cancel against flat cross edges).
 */
import { InputError } from '../../shared/errors.js';
import type { Kan } from '../kan/kan.js';
import type { EdgeSamples } from './extract.js';
import { buildFormula, type EdgeSpec, type Formula } from './formula.js';
import { refitFormula } from './formula-refit.js';
import { simplifyFormula } from './formula-simplify.js';
import { toUserUnits, unscaleInputs, unscaleTarget } from './formula-units.js';
import { type SnapFit, snapEdge } from './symbolic.js';
import type { DiscoveryTask, TaskSample } from './tasks.js';

/** Spread (max − min over the data) below which, relative to its layer's widest edge, an unsnapped edge is a constant. */
export const FLAT_EDGE = 1e-3;

export interface NetworkReading {
  /** Every active edge with its samples and snap (null: stays a spline; see `flat`). */
  readonly samples: readonly EdgeSamples[];
  /** Edges read as constants (same order as samples). */
  readonly flat: readonly boolean[];
  /** Edges that snapped or are constants. */
  readonly snapped: number;
  readonly allSnapped: boolean;
  /** Over the normalised inputs and target, as the network saw them. */
  readonly normalised: Formula;
  /** In the user's units (the normalised form when the task has no scaling). */
  readonly formula: Formula;
}

/** The task's rows in the user's units (identity when the task has no scaling). */
export function userRows(
  task: DiscoveryTask,
  s: TaskSample,
): { x: Float64Array; y: Float64Array; batch: number } {
  if (!task.scaling) return s;
  return { x: unscaleInputs(s.x, task.scaling), y: unscaleTarget(s.y, task.scaling), batch: s.batch };
}

/**
 * Simplify, then (when every edge snapped) refit and simplify again, on the training rows. With
 * `refitFirst` the first simplification is skipped: lines are only a starting point, and snapping
 * their constants before the refit could drop a term (a small x·y coefficient) for good.
 */
function finishFormula(f: Formula, train: TaskSample, refit: boolean, refitFirst = false): Formula {
  const g = refit && refitFirst ? f : simplifyFormula(f, train.x, train.y);
  if (!refit) return g;
  return simplifyFormula(refitFormula(g, train.x, train.y).formula, train.x, train.y);
}

function spreadOf(y: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < y.length; k++) [lo, hi] = [Math.min(lo, y[k]!), Math.max(hi, y[k]!)];
  return y.length ? hi - lo : 0;
}

function meanOf(y: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) s += y[k]!;
  return s / Math.max(y.length, 1);
}

export interface ReadOptions {
  /**
   * Read every edge that is not flat as its least-squares line, whatever it snapped to (the
   * refit then moves its constants with the rest): the hypothesis that the network computes an
   * affine function through each edge. Used only for the product network (product.ts), whose
   * formula is then judged on the validation rows. @defaultValue false
   */
  readonly linearise?: boolean;
}

/** Least-squares line c·x + d through the samples, as a snap. */
function lineFit(x: ArrayLike<number>, y: ArrayLike<number>): Pick<SnapFit, 'fn' | 'a' | 'b' | 'c' | 'd'> {
  const mx = meanOf(x);
  const my = meanOf(y);
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < x.length; k++) {
    sxy += (x[k]! - mx) * (y[k]! - my);
    sxx += (x[k]! - mx) ** 2;
  }
  const c = sxx > 0 ? sxy / sxx : 0;
  return { fn: 'x', a: 1, b: 0, c, d: my - c * mx };
}

/** Snap every active edge of kan over the training rows and build its formula in both units. */
export function readNetwork(
  kan: Kan,
  task: DiscoveryTask,
  train: TaskSample,
  options: ReadOptions = {},
): NetworkReading {
  const raw: EdgeSamples[] = kan.activeEdges().map(({ l, i, j }) => {
    const s = kan.edgeSamples(train.x, train.batch, l, i, j);
    return { layer: l, i, j, x: s.x, y: s.y, snap: snapEdge(s.x, s.y).chosen };
  });
  const widest = new Map<number, number>();
  for (const e of raw) widest.set(e.layer, Math.max(widest.get(e.layer) ?? 0, spreadOf(e.y)));
  const flat = raw.map((e) => !e.snap && spreadOf(e.y) <= FLAT_EDGE * widest.get(e.layer)!);
  const samples = raw.map((e, k) =>
    !flat[k] && options.linearise ? { ...e, snap: fitAsSnap(e.x, e.y) } : e,
  );
  const specs: EdgeSpec[] = samples.map((e, k) => {
    if (e.snap) return { layer: e.layer, i: e.i, j: e.j, fit: e.snap };
    if (flat[k]) return { layer: e.layer, i: e.i, j: e.j, fit: constantFit(meanOf(e.y)) };
    return { layer: e.layer, i: e.i, j: e.j, fit: 'spline', x: e.x, y: e.y };
  });
  const snapped = samples.filter((e, k) => e.snap || flat[k]).length;
  const allSnapped = snapped === samples.length && samples.length > 0;
  const normalised = finishFormula(
    buildFormula(kan.width, specs, { inputNames: task.inputNames, mult: kan.mult }),
    train,
    allSnapped,
    options.linearise,
  );
  const formula = task.scaling
    ? finishFormula(toUserUnits(normalised, task.scaling), userRows(task, train), allSnapped)
    : normalised;
  return { samples, flat, snapped, allSnapped, normalised, formula };
}

/** A line through the samples in SnapFit form (its R² and RMSE measured). */
function fitAsSnap(x: ArrayLike<number>, y: ArrayLike<number>): SnapFit {
  const f = lineFit(x, y);
  const my = meanOf(y);
  let rss = 0;
  let sst = 0;
  for (let k = 0; k < y.length; k++) {
    rss += (f.c * x[k]! + f.d - y[k]!) ** 2;
    sst += (y[k]! - my) ** 2;
  }
  return {
    ...f,
    r2: sst > 0 ? 1 - rss / sst : 1,
    rmse: Math.sqrt(rss / Math.max(y.length, 1)),
    complexity: 1,
  };
}

/** The constant edge φ(x) = d, as a snap (0·x + d). */
function constantFit(d: number): Pick<SnapFit, 'fn' | 'a' | 'b' | 'c' | 'd'> {
  return { fn: 'x', a: 0, b: 0, c: 0, d };
}

/** readNetwork, or null when the network's formula cannot be written (a product of non-affine factors). */
export function tryReadNetwork(
  kan: Kan,
  task: DiscoveryTask,
  train: TaskSample,
  options: ReadOptions = {},
): NetworkReading | null {
  try {
    return readNetwork(kan, task, train, options);
  } catch (e) {
    if (e instanceof InputError) return null;
    throw e;
  }
}
