/**
 * One training run: a model, its Adam state and its shuffling stream, advanced epoch by epoch
 * with backpropagation through time, global-norm clipping and early stopping on validation
 * loss. A run can be advanced in stretches (the race pauses and resumes runs) and trains
 * exactly as it would in one go.
 */
import { NumericError } from '../../shared/errors.js';
import { cloneModel, type HybridModel } from '../../shared/model/model.js';
import { forwardOnTape, paramVars, selectorStates } from '../../shared/model/tape-forward.js';
import { Adam } from '../../shared/numeric/adam.js';
import { mseLoss, softmaxCrossEntropy } from '../../shared/numeric/ops.js';
import { Rng } from '../../shared/numeric/rng.js';
import { Tape, Var } from '../../shared/numeric/tape.js';
import { evaluateLoss } from './evaluate.js';
import type { TrainOptions } from './options.js';
import { withPhysics } from './physics-loss.js';
import { gather, type WindowSet } from './windows.js';

export interface TrainData {
  readonly train: WindowSet;
  readonly val: WindowSet;
}

export interface EpochStats {
  readonly temperature: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly gradNorm: number;
}

interface Optimizer {
  zeroGrad(): void;
  /** Returns the gradient norm before clipping. */
  step(): number;
}

/**
 * Adam for the network, and a faster Adam for the selector logits: the mixture weights must
 * actually commit during the search, or hardening jumps from a near-uniform blend.
 */
function makeOptimizer(vars: Map<string, Var>, o: TrainOptions): Optimizer {
  const all = [...vars.entries()];
  const logits = all.filter(([k]) => k.endsWith('.logits')).map(([, v]) => v);
  const rest = all.filter(([k]) => !k.endsWith('.logits')).map(([, v]) => v);
  const net = new Adam(rest, { lr: o.lr, clipNorm: o.clipNorm });
  const sel = logits.length ? new Adam(logits, { lr: o.lr * o.selectorLrScale, clipNorm: o.clipNorm }) : null;
  return {
    zeroGrad() {
      net.zeroGrad();
      sel?.zeroGrad();
    },
    step() {
      sel?.step();
      return net.step();
    },
  };
}

function withTemperature(model: HybridModel, temperature: number): HybridModel {
  return {
    ...model,
    layers: model.layers.map((l) =>
      l.selector.mode === 'soft' ? { ...l, selector: { ...l.selector, temperature } } : l,
    ),
  };
}

function runEpoch(
  model: HybridModel,
  train: WindowSet,
  opt: Optimizer,
  vars: Map<string, Var>,
  o: TrainOptions,
  rng: Rng,
) {
  const selectors = selectorStates(model);
  const order = Array.from({ length: train.n }, (_, i) => i);
  rng.shuffle(order);
  const dts = new Float64Array(o.batchSize * train.window).fill(model.dtDefault);
  let total = 0;
  let norm = 0;
  let batches = 0;
  for (let start = 0; start < train.n; start += o.batchSize) {
    const idx = order.slice(start, start + o.batchSize);
    const { x, y, dts: windowDts } = gather(train, idx);
    opt.zeroGrad();
    const tape = new Tape();
    const B = idx.length;
    const { outputs } = forwardOnTape(
      tape,
      model,
      vars,
      selectors,
      x,
      windowDts ?? dts.subarray(0, B * train.window),
      B,
      train.window,
    );
    const target = Var.constant(y, [B, model.outputs]);
    const last = outputs[train.window - 1]!;
    const dataLoss = o.loss === 'mse' ? mseLoss(tape, last, target) : softmaxCrossEntropy(tape, last, target);
    const loss = o.physics
      ? withPhysics(
          tape,
          dataLoss,
          o.physics.residual(tape, outputs, { x, y, n: B, window: train.window, inputs: train.inputs }),
          o.physics.weight,
        )
      : dataLoss;
    if (!Number.isFinite(loss.data[0]!)) {
      throw new NumericError(
        `training diverged (loss ${loss.data[0]}) in batch ${batches}; try a smaller --lr`,
      );
    }
    tape.backward(loss);
    norm += opt.step();
    total += loss.data[0]! * B;
    batches++;
  }
  return { trainLoss: total / train.n, gradNorm: norm / batches };
}

export class TrainingRun {
  #model: HybridModel;
  readonly #vars: Map<string, Var>;
  readonly #opt: Optimizer;
  readonly #rng: Rng;
  #best: { loss: number; model: HybridModel };
  #stale = 0;
  #ran = 0;
  #stopped = false;

  /** Every run of one seed shuffles alike, so a configuration trains the same in any race. */
  constructor(
    start: HybridModel,
    readonly label: string,
    private readonly o: TrainOptions,
  ) {
    this.#model = cloneModel(start);
    this.#vars = paramVars(this.#model);
    this.#opt = makeOptimizer(this.#vars, o);
    this.#rng = new Rng(o.seed);
    this.#best = { loss: Infinity, model: cloneModel(this.#model) };
  }

  /** Epochs trained so far. */
  get ran(): number {
    return this.#ran;
  }
  /** True once validation loss went `patience` epochs without improving. */
  get stopped(): boolean {
    return this.#stopped;
  }
  /** The best validation checkpoint (the start model, unscored, before any epoch). */
  get best(): { readonly loss: number; readonly model: HybridModel } {
    return this.#best;
  }

  /**
   * Trains until `until` epochs have run or early stopping ends the run; `temperatureAt`
   * anneals soft selectors (epoch index → temperature).
   */
  advance(
    until: number,
    data: TrainData,
    log: (e: EpochStats) => void,
    temperatureAt: (epoch: number) => number = () => this.o.temperatureEnd,
  ): void {
    while (this.#ran < until && !this.#stopped) {
      const temperature = temperatureAt(this.#ran);
      if (this.#model.layers.some((l) => l.selector.mode === 'soft'))
        this.#model = withTemperature(this.#model, temperature);
      const { trainLoss, gradNorm } = runEpoch(
        this.#model,
        data.train,
        this.#opt,
        this.#vars,
        this.o,
        this.#rng,
      );
      const valLoss = evaluateLoss(this.#model, data.val, this.o.loss);
      if (!Number.isFinite(valLoss)) {
        throw new NumericError(
          `validation loss is ${valLoss} at epoch ${this.#ran} of run '${this.label}'; try a smaller --lr`,
        );
      }
      this.#ran++;
      log({ temperature, trainLoss, valLoss, gradNorm });
      if (valLoss < this.#best.loss) {
        this.#best = { loss: valLoss, model: cloneModel(this.#model) };
        this.#stale = 0;
      } else if (++this.#stale >= this.o.patience) {
        this.#stopped = true;
      }
    }
  }
}
