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
 * Why race at all: neither signal available at the end of the search predicts which hard
 * configuration trains best. The mixture weights describe a blend no single entry reproduces,
 * and a layer switched hard without retraining mostly measures how far the entry's curve is
 * from the blend the other weights were fitted to.
 */

import type { HybridModel } from '../../shared/model/model.js';
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
  readonly valLoss: number;
  readonly epochs: number;
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

export interface RaceResult {
  readonly winner: Configuration;
  readonly model: HybridModel;
  readonly valLoss: number;
  /** Every contestant's best validation loss and epochs trained, best first. */
  readonly standings: Standing[];
}

export function race(
  initial: HybridModel,
  field: readonly Configuration[],
  data: TrainData,
  o: TrainOptions,
  log: (run: string, e: EpochStats) => void,
): RaceResult {
  const runs = field.map((c) => ({ c, run: new TrainingRun(configure(initial, c), c.label, o) }));
  // stable: equal losses keep the field's order of precedence
  const byLoss = (xs: typeof runs) => [...xs].sort((a, b) => a.run.best.loss - b.run.best.loss);
  let alive = runs;
  for (const until of rungs(o.epochs)) {
    for (const { c, run } of alive) run.advance(until, data, (e) => log(c.label, e));
    alive = byLoss(alive).slice(0, Math.max(1, Math.ceil(alive.length / 2)));
  }
  const [first] = byLoss(alive);
  return {
    winner: first!.c,
    model: first!.run.best.model,
    valLoss: first!.run.best.loss,
    standings: byLoss(runs).map(({ c, run }) => ({
      label: c.label,
      valLoss: run.best.loss,
      epochs: run.ran,
    })),
  };
}
