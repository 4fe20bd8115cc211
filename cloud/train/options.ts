/** Training options and the per-epoch record every training phase logs. */
import type { LossKind } from './evaluate.js';
import type { PhysicsTerm } from './physics-loss.js';

export interface TrainOptions {
  /** Epochs of each trained configuration (and the scale of the search). @defaultValue 40 */
  readonly epochs: number;
  /** @defaultValue 32 */
  readonly batchSize: number;
  /** Adam step size. @defaultValue 5e-3 */
  readonly lr: number;
  /**
   * 'liquid-output' keeps the liquid layers' affine output scale and shift (c, d of every entry)
   * where they start: an ensemble's members after the first start from the first's and must
   * keep its d/c to be merged exactly (cloud/train/ensemble.ts). @defaultValue none
   */
  readonly freezeAffine?: 'liquid-output';
  /** Global gradient-norm clip. @defaultValue 1 */
  readonly clipNorm: number;
  /** Epochs without validation improvement before a run stops. @defaultValue 8 */
  readonly patience: number;
  readonly seed: number;
  /** @defaultValue 1 */
  readonly temperatureStart: number;
  /** @defaultValue 0.1 */
  readonly temperatureEnd: number;
  /** Length of the soft search as a fraction of `epochs`. @defaultValue 0.6 */
  readonly hardenAt: number;
  /**
   * Race every library entry as a uniform configuration next to the search's
   * proposals; false races the proposals alone. @defaultValue true
   */
  readonly raceLibrary: boolean;
  /**
   * Entry (name or id) on every layer that the race never cuts and a challenger must beat on
   * validation by `selectionZ` standard errors; null: the race's best ships. @defaultValue 'tanh'
   */
  readonly reference: string | null;
  /**
   * The one-standard-error rule (Hastie, Tibshirani & Friedman, ESL §7.10), turned round: keep
   * the reference unless a challenger is better by more than this many standard errors.
   * @defaultValue 1
   */
  readonly selectionZ: number;
  /** Relative loss gap above which a layer counts as hungry. @defaultValue 0.05 */
  readonly hungerGap: number;
  /** 'mse' for regression, 'cross-entropy' for classification (one-hot targets). @defaultValue 'mse' */
  readonly loss: LossKind;
  /** Step-size multiplier for the selector logits. @defaultValue 10 */
  readonly selectorLrScale: number;
  /** Optional physics residual: minimise data loss + weight·residual (physics-loss.ts). @defaultValue none */
  readonly physics?: PhysicsTerm;
}

export const TRAIN_DEFAULTS: Readonly<Omit<TrainOptions, 'seed'>> = Object.freeze({
  epochs: 40,
  batchSize: 32,
  lr: 5e-3,
  clipNorm: 1,
  patience: 8,
  temperatureStart: 1,
  temperatureEnd: 0.1,
  hardenAt: 0.6,
  raceLibrary: true,
  reference: 'tanh',
  selectionZ: 1,
  hungerGap: 0.05,
  loss: 'mse',
  selectorLrScale: 10,
});

export interface EpochRecord {
  /** Epochs logged so far across all runs, from 0. */
  readonly epoch: number;
  /** soft: the selector's search; hard: a configuration in the race. */
  readonly phase: 'soft' | 'hard';
  /** Which run: 'search', or the raced configuration's label. */
  readonly run: string;
  /** Share of the planned epochs done, in [0, 1] (early stopping can end sooner). */
  readonly progress: number;
  readonly temperature: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly gradNorm: number;
}
