/**
 * Training a liquid hybrid: backpropagation through time over windows, Adam with global-norm
 * clipping, early stopping on validation loss, per-neuron τ learned inside its band, and the
 * per-layer selector annealed from a soft mixture to a hard choice.
 *
 * Schedule: epochs [0, hardenAt) train the soft mixture while the temperature falls
 * geometrically from `temperatureStart` to `temperatureEnd`; at hardenAt each soft layer is
 * measured for hunger and set hard on the entry with the best validation loss; the remaining
 * epochs fine-tune weights, τ and the chosen entry's affine. The best validation checkpoint of
 * the hard phase is returned (or of the soft phase when no hard epoch ran).
 */
import { NumericError } from '../../shared/errors.js';
import { cloneModel, type HybridModel } from '../../shared/model/model.js';
import { forwardOnTape, paramVars, selectorStates } from '../../shared/model/tape-forward.js';
import { Adam } from '../../shared/numeric/adam.js';
import { mseLoss, softmaxCrossEntropy } from '../../shared/numeric/ops.js';
import { Rng } from '../../shared/numeric/rng.js';
import { Tape, Var } from '../../shared/numeric/tape.js';
import { evaluateLoss, type LossKind } from './evaluate.js';
import { type LayerHunger, layerHunger, withHardChoice } from './hunger.js';
import { type PhysicsTerm, withPhysics } from './physics-loss.js';
import { gather, type WindowSet } from './windows.js';

export interface TrainOptions {
  /** @defaultValue 40 */
  readonly epochs: number;
  /** @defaultValue 32 */
  readonly batchSize: number;
  /** Adam step size. @defaultValue 5e-3 */
  readonly lr: number;
  /** Global gradient-norm clip. @defaultValue 1 */
  readonly clipNorm: number;
  /** Epochs without validation improvement before stopping (per phase). @defaultValue 8 */
  readonly patience: number;
  readonly seed: number;
  /** @defaultValue 1 */
  readonly temperatureStart: number;
  /** @defaultValue 0.1 */
  readonly temperatureEnd: number;
  /** Fraction of epochs after which selectors turn hard. @defaultValue 0.6 */
  readonly hardenAt: number;
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
  hungerGap: 0.05,
  loss: 'mse',
  selectorLrScale: 10,
});

export interface EpochRecord {
  readonly epoch: number;
  readonly phase: 'soft' | 'hard';
  readonly temperature: number;
  readonly trainLoss: number;
  readonly valLoss: number;
  readonly gradNorm: number;
}

export interface TrainResult {
  readonly model: HybridModel;
  readonly history: EpochRecord[];
  /** Hunger per soft layer, measured when the selection turned hard. */
  readonly hunger: LayerHunger[];
  /** The model just before hardening (for hunger jobs: the mixture the layers wanted). */
  readonly softModel: HybridModel | null;
  readonly bestValLoss: number;
}

function withTemperature(model: HybridModel, temperature: number): HybridModel {
  return {
    ...model,
    layers: model.layers.map((l) =>
      l.selector.mode === 'soft' ? { ...l, selector: { ...l.selector, temperature } } : l,
    ),
  };
}

interface Optimizer {
  zeroGrad(): void;
  /** Returns the gradient norm before clipping. */
  step(): number;
}

/**
 * Adam for the network, and a faster Adam for the selector logits: the mixture weights must
 * actually commit during the soft phase, or hardening jumps from a near-uniform blend.
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

export function trainHybrid(
  initial: HybridModel,
  data: { train: WindowSet; val: WindowSet },
  options: Partial<TrainOptions> & { seed: number },
  onEpoch?: (r: EpochRecord) => void,
): TrainResult {
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...options };
  const rng = new Rng(o.seed);
  let model = cloneModel(initial);
  let vars = paramVars(model);
  let opt = makeOptimizer(vars, o);
  const history: EpochRecord[] = [];
  const softEpochs = model.layers.some((l) => l.selector.mode === 'soft')
    ? Math.round(o.epochs * o.hardenAt)
    : 0;
  let best = { loss: Infinity, model: cloneModel(model) };
  let stale = 0;
  let hunger: LayerHunger[] = [];
  let softModel: HybridModel | null = null;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const soft = epoch < softEpochs;
    if (epoch === softEpochs && softEpochs > 0) {
      // harden from the best soft checkpoint: measure hunger on its mixture, then pick each
      // layer's best single entry by validation loss
      model = cloneModel(best.model);
      softModel = cloneModel(model);
      hunger = model.layers.flatMap((l, i) =>
        l.selector.mode === 'soft' ? [layerHunger(model, i, data.val, o.hungerGap, o.loss)] : [],
      );
      for (const h of hunger) {
        const k = model.layers[h.layer]!.selector.candidates.indexOf(h.bestSingle.id);
        model = withHardChoice(model, h.layer, k);
      }
      vars = paramVars(model);
      opt = makeOptimizer(vars, o);
      best = { loss: Infinity, model: cloneModel(model) };
      stale = 0;
    }
    const temperature = soft
      ? o.temperatureStart *
        (o.temperatureEnd / o.temperatureStart) ** (softEpochs > 1 ? epoch / (softEpochs - 1) : 1)
      : o.temperatureEnd;
    if (soft) model = withTemperature(model, temperature);
    const { trainLoss, gradNorm } = runEpoch(model, data.train, opt, vars, o, rng);
    const valLoss = evaluateLoss(model, data.val, o.loss);
    if (!Number.isFinite(valLoss))
      throw new NumericError(`validation loss is ${valLoss} at epoch ${epoch}; try a smaller --lr`);
    const record: EpochRecord = {
      epoch,
      phase: soft ? 'soft' : 'hard',
      temperature,
      trainLoss,
      valLoss,
      gradNorm,
    };
    history.push(record);
    onEpoch?.(record);
    if (valLoss < best.loss) {
      best = { loss: valLoss, model: cloneModel(model) };
      stale = 0;
    } else if (++stale >= o.patience) {
      if (soft) {
        // the soft phase has converged: go straight to hardening
        epoch = softEpochs - 1;
        continue;
      }
      break;
    }
  }
  return { model: best.model, history, hunger, softModel, bestValLoss: best.loss };
}
