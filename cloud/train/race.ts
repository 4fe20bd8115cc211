/**
 * The race that turns the selector's search into one hard configuration: successive halving
 * (Jamieson & Talwalkar 2016) over hard configurations, each trained from the initial weights.
 *
 * Contestants are the search's proposals (each layer on its best single entry; each layer on
 * its heaviest mixture weight) and, with `raceLibrary`, every library entry on all layers at
 * once. All start together; at each rung (epochs/8, /4, /2, then the full schedule)
 * the better half by validation loss goes on, so the total cost stays a few times one
 * model's training while every contestant gets a fair start. A survivor trains exactly as it
 * would alone: its own Adam state and its own seeded shuffling, paused between rungs.
 *
 * The reference entry (tanh, the liquid cell's classic nonlinearity) is the incumbent: it is
 * never cut and a challenger must beat it on validation by more than noise (race()).
 *
 * Why race at all: neither signal available at the end of the search predicts which hard
 * configuration trains best. The mixture weights describe a blend no single entry reproduces,
 * and a layer switched hard without retraining mostly measures how far the entry's curve is
 * from the blend the other weights were fitted to.
 */

import { NumericError } from '../../shared/errors.js';
import type { HybridModel } from '../../shared/model/model.js';
import { validationLosses } from './evaluate.js';
import { withHardChoice } from './hunger.js';
import type { TrainOptions } from './options.js';
import { type EpochStats, type TrainData, TrainingRun } from './run.js';

/** Candidate index per soft layer, in the order of `layers`. */
export interface Configuration {
  readonly label: string;
  readonly layers: readonly number[];
  readonly choice: readonly number[];
}

export interface Standing {
  readonly label: string;
  /** Best validation loss; Infinity for a configuration that diverged. */
  readonly valLoss: number;
  readonly epochs: number;
  /** Set when the configuration's loss became NaN or infinite: it left the race. */
  readonly diverged?: true;
}

/** The model with each listed layer hard on its chosen candidate. */
export function configure(model: HybridModel, c: Configuration): HybridModel {
  let m = model;
  c.layers.forEach((layer, j) => {
    m = withHardChoice(m, layer, c.choice[j]!);
  });
  return m;
}

/**
 * The candidate indices every soft layer shares (all of them for a model made by initModel).
 * No shape is skipped as a near-duplicate of another: tanh and sigmoid are one shape up to an
 * affine map, yet they train differently from the natural affine they start at.
 */
export function sharedCandidates(model: HybridModel, layers: readonly number[]): number[] {
  const first = model.layers[layers[0]!]!.selector.candidates;
  return first.flatMap((id, k) =>
    layers.every((i) => model.layers[i]!.selector.candidates[k] === id) ? [k] : [],
  );
}

/** Contestants in order of precedence (ties go to the earlier), duplicates dropped. */
export function contestants(
  proposals: readonly Configuration[],
  uniform: readonly Configuration[],
): Configuration[] {
  const seen = new Set<string>();
  return [...proposals, ...uniform].filter((c) => {
    const key = c.choice.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Cumulative epochs at each rung: epochs/8, /4, /2, epochs (at least one epoch, no repeats). */
export function rungs(epochs: number): number[] {
  const out: number[] = [];
  for (const f of [1 / 8, 1 / 4, 1 / 2, 1]) {
    const r = Math.max(1, Math.round(epochs * f));
    if (r > (out.at(-1) ?? 0)) out.push(r);
  }
  return out;
}

/** Epochs the race trains when no run stops early. */
export function plannedRaceEpochs(count: number, epochs: number): number {
  let alive = count;
  let done = 0;
  let total = 0;
  for (const r of rungs(epochs)) {
    total += alive * (r - done);
    done = r;
    alive = Math.max(1, Math.ceil(alive / 2));
  }
  return total;
}

/**
 * How many standard errors the mean of paired differences d lies above zero. Neighbouring
 * forecast windows share most of their samples, so d is autocorrelated: the effective sample
 * size is n·(1 − ρ₁)/(1 + ρ₁) for the lag-one autocorrelation ρ₁ (an AR(1) approximation).
 */
export function pairedZ(d: Float64Array): number {
  const n = d.length;
  let m = 0;
  for (const v of d) m += v / n;
  let v = 0;
  let c = 0;
  for (let j = 0; j < n; j++) {
    v += (d[j]! - m) ** 2;
    if (j > 0) c += (d[j]! - m) * (d[j - 1]! - m);
  }
  if (n < 2 || v === 0) return m > 0 ? Infinity : m < 0 ? -Infinity : 0;
  const rho = Math.min(0.99, Math.max(0, c / v));
  const nEff = Math.max(1, (n * (1 - rho)) / (1 + rho));
  return m / Math.sqrt(v / (n - 1) / nEff);
}

export interface RaceResult {
  /** The configuration that ships. */
  readonly winner: Configuration;
  readonly model: HybridModel;
  readonly valLoss: number;
  /** Every contestant's best validation loss and epochs trained, best first, diverged last. */
  readonly standings: Standing[];
  /**
   * With an incumbent: the best challenger's validation advantage over it in standard errors,
   * and whether that was enough to ship the challenger.
   */
  readonly decision: {
    readonly challenger: string;
    readonly zScore: number;
    readonly shipped: boolean;
  } | null;
}

/**
 * Races the field; `incumbent` (a label in the field) is never cut, and a challenger that
 * finishes ahead of it ships only if its per-window validation losses beat the incumbent's by
 * more than `selectionZ` standard errors. Small validation sets otherwise hand the race to
 * whichever entry got lucky on them, and a non-monotone entry that wins by noise (sin,
 * gaussian) extrapolates worse under drift than the incumbent would.
 */
export function race(
  initial: HybridModel,
  field: readonly Configuration[],
  data: TrainData,
  o: TrainOptions,
  log: (run: string, e: EpochStats) => void,
  incumbent?: string,
): RaceResult {
  const runs = field.map((c) => ({ c, run: new TrainingRun(configure(initial, c), c.label, o) }));
  // stable: equal losses keep the field's order of precedence
  const byLoss = (xs: typeof runs) => [...xs].sort((a, b) => a.run.best.loss - b.run.best.loss);
  // a configuration that diverges leaves the race (and one that diverged is no incumbent)
  const diverged = new Map<(typeof runs)[number], NumericError>();
  let alive = runs;
  for (const until of rungs(o.epochs)) {
    for (const r of alive) {
      try {
        r.run.advance(until, data, (e) => log(r.c.label, e));
      } catch (err) {
        if (!(err instanceof NumericError)) throw err;
        diverged.set(r, err);
      }
    }
    alive = alive.filter((r) => !diverged.has(r));
    if (!alive.length) {
      const [firstError] = diverged.values();
      throw new NumericError(`every configuration in the race diverged (${firstError!.message})`);
    }
    const defender = alive.find((r) => r.c.label === incumbent);
    const next = byLoss(alive).slice(0, Math.max(1, Math.ceil(alive.length / 2)));
    alive = defender && !next.includes(defender) ? [...next, defender] : next;
  }
  const held = alive.find((r) => r.c.label === incumbent);
  const [first] = byLoss(alive);
  let shipped = first!;
  let decision: RaceResult['decision'] = null;
  if (held && first !== held) {
    const d = validationLosses(held.run.best.model, data, o.loss);
    const challenger = validationLosses(first!.run.best.model, data, o.loss);
    for (let j = 0; j < d.length; j++) d[j]! -= challenger[j]!;
    const zScore = pairedZ(d);
    decision = { challenger: first!.c.label, zScore, shipped: zScore > o.selectionZ };
    if (!decision.shipped) shipped = held;
  }
  return {
    winner: shipped.c,
    model: shipped.run.best.model,
    valLoss: shipped.run.best.loss,
    standings: [...byLoss(runs.filter((r) => !diverged.has(r))), ...diverged.keys()].map((r) => ({
      label: r.c.label,
      valLoss: diverged.has(r) ? Infinity : r.run.best.loss,
      epochs: r.run.ran,
      ...(diverged.has(r) ? { diverged: true } : {}),
    })),
    decision,
  };
}
