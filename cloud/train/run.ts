/**
 * One training run: a model, its Adam state and its shuffling stream, advanced epoch by epoch
 * with backpropagation through time, global-norm clipping and early stopping on validation
 * loss. A run can be advanced in stretches (the race pauses and resumes runs) and trains
 * exactly as it would in one go.
 *
 * With a stream (forecasting), an epoch is stateful truncated BPTT the way the device runs the
 * model: the training rows are cut into a few contiguous streams run side by side, each in
 * segments of `window` steps whose state carries into the next segment (without gradient), the
 * loss taken at every step after a short burn-in from the zero state. Validation is the
 * streaming evaluator's error on the validation rows with the state warmed on every row before
 * them. Unbounded liquid layers are kept contractive after every step (shared/model/stability.ts).
 * Without a stream (voice clips, physics windows, MLP flavours) an epoch is sequence-to-one
 * over shuffled windows from a zero state, as those models run.
 */
import { NumericError } from '../../shared/errors.js';
import { cloneModel, type HybridModel } from '../../shared/model/model.js';
import { contractLiquidLayers, unboundedLiquidLayers } from '../../shared/model/stability.js';
import { forwardOnTape, paramVars, selectorStates } from '../../shared/model/tape-forward.js';
import { Adam } from '../../shared/numeric/adam.js';
import { add, mseLoss, scale, softmaxCrossEntropy } from '../../shared/numeric/ops.js';
import { Rng } from '../../shared/numeric/rng.js';
import { Tape, Var } from '../../shared/numeric/tape.js';
import { validationLoss } from './evaluate.js';
import type { TrainOptions } from './options.js';
import { withPhysics } from './physics-loss.js';
import { gather, type StreamData, type WindowSet } from './windows.js';

export interface TrainData {
  readonly train: WindowSet;
  readonly val: WindowSet;
  /** The standardised series: when present, training and validation are streaming. */
  readonly stream?: StreamData;
}

/** Steps of each stream's first segment left out of the loss while the zero state warms. */
export const BURN_IN_STEPS = 8;
/** Fewest truncation segments per stream and pass: more streams would leave too few updates. */
const MIN_SEGMENTS = 8;

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
function makeOptimizer(vars: Map<string, Var>, o: TrainOptions, model: HybridModel): Optimizer {
  const all = [...vars.entries()];
  // affine rows are (a, b, c, d) per entry: c and d sit at 2 and 3 of every 4
  const frozenOutputs =
    o.freezeAffine === 'liquid-output'
      ? model.layers.flatMap((l, i) => (l.kind === 'liquid' ? [vars.get(`L${i}.affine`)!] : []))
      : [];
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
      for (const v of frozenOutputs) {
        if (!v.grad) continue;
        for (let j = 2; j < v.grad.length; j += 4) {
          v.grad[j] = 0;
          v.grad[j + 1] = 0;
        }
      }
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

/**
 * One epoch of stateful truncated BPTT over the training rows: enough passes (each from a
 * random phase, so segment boundaries move) to make about as many updates as a windowed epoch
 * of the same data; each pass costs one step per training row instead of `window`.
 */
function runStreamEpoch(
  model: HybridModel,
  data: StreamData,
  W: number,
  opt: Optimizer,
  vars: Map<string, Var>,
  o: TrainOptions,
  rng: Rng,
  contract: boolean,
) {
  const selectors = selectorStates(model);
  const { values, cols, targetCol } = data.series;
  const H = data.horizon;
  // predictions at rows t < P have their label on a training row
  const P = data.split.valStart - H;
  const N = Math.max(1, Math.min(o.batchSize, Math.floor(P / (MIN_SEGMENTS * W))));
  const windowedUpdates = Math.ceil(Math.max(1, P - W + 1) / o.batchSize);
  let total = 0;
  let counted = 0;
  let norm = 0;
  let updates = 0;
  let passes = 0;
  while (updates < windowedUpdates && passes < W) {
    passes++;
    const offset = rng.int(Math.min(W, Math.max(1, P - N * 2 * W + 1)));
    const L = Math.floor((P - offset) / N);
    const starts = Array.from({ length: N }, (_, n) => offset + n * L);
    let state: (Float64Array | null)[] | undefined;
    for (let s0 = 0; s0 < L; s0 += W) {
      const T = Math.min(W, L - s0);
      const x = new Float64Array(N * T * cols);
      for (let n = 0; n < N; n++) {
        x.set(values.subarray((starts[n]! + s0) * cols, (starts[n]! + s0 + T) * cols), n * T * cols);
      }
      const dts = new Float64Array(N * T);
      if (data.series.dts) {
        for (let n = 0; n < N; n++)
          dts.set(data.series.dts.subarray(starts[n]! + s0, starts[n]! + s0 + T), n * T);
      } else dts.fill(model.dtDefault);
      opt.zeroGrad();
      const tape = new Tape();
      const fwd = forwardOnTape(tape, model, vars, selectors, x, dts, N, T, state);
      const from = s0 === 0 ? Math.min(BURN_IN_STEPS, T - 1, Math.floor(L / 4)) : 0;
      let loss: Var | null = null;
      for (let t = from; t < T; t++) {
        const y = new Float64Array(N);
        for (let n = 0; n < N; n++) y[n] = values[(starts[n]! + s0 + t + H) * cols + targetCol]!;
        const l = mseLoss(tape, fwd.outputs[t]!, Var.constant(y, [N, model.outputs]));
        loss = loss ? add(tape, loss, l) : l;
      }
      state = fwd.states.map((v) => (v ? v.data.slice() : null));
      const steps = T - from;
      const mean = scale(tape, loss!, 1 / steps);
      if (!Number.isFinite(mean.data[0]!)) {
        throw new NumericError(
          `training diverged (loss ${mean.data[0]}) in segment ${updates}; try a smaller --lr`,
        );
      }
      tape.backward(mean);
      norm += opt.step();
      if (contract) contractLiquidLayers(model);
      total += mean.data[0]! * steps;
      counted += steps;
      updates++;
    }
  }
  return { trainLoss: total / counted, gradNorm: norm / updates };
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
  /** Whether a liquid layer is hard on an unbounded entry (kept contractive in stream training). */
  readonly #contract: boolean;

  /** Every run of one seed shuffles alike, so a configuration trains the same in any race. */
  constructor(
    start: HybridModel,
    readonly label: string,
    private readonly o: TrainOptions,
  ) {
    this.#model = cloneModel(start);
    this.#vars = paramVars(this.#model);
    this.#opt = makeOptimizer(this.#vars, o, this.#model);
    this.#rng = new Rng(o.seed);
    this.#best = { loss: Infinity, model: cloneModel(this.#model) };
    this.#contract = unboundedLiquidLayers(this.#model).length > 0;
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
      const { trainLoss, gradNorm } =
        data.stream && !this.o.physics
          ? runStreamEpoch(
              this.#model,
              data.stream,
              data.train.window,
              this.#opt,
              this.#vars,
              this.o,
              this.#rng,
              this.#contract,
            )
          : runEpoch(this.#model, data.train, this.#opt, this.#vars, this.o, this.#rng);
      const valLoss = validationLoss(this.#model, data, this.o.loss);
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
