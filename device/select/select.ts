/**
 * On-device hard selection fine-tuning: pick, per layer, the library entry that fits this
 * device's recent data best, refit the readout (ridge, closed form), and install the result only
 * when it beats both the untouched model and the current choices with their readout refitted the
 * same way, on held-out rows (the most recent part of the buffer), over the buffer cut into a few
 * long streams, within a time budget. Candidates are scored on the compiled engine's float32
 * kernels (compiled-forward.ts); the model as given, its refit and the winner are judged by the
 * float64 reference runner, which alone decides what is installed.
 *
 * The caller rebuilds the ONNX step graph from the returned model (see rebuildSession).
 */
import { cloneModel, type HybridModel, layerCandidates, param } from '../../shared/model/model.js';
import { type SampleBuffer, SPLIT_DEFAULTS, type SplitOptions } from './buffer.js';
import {
  HUNGER_SELECT_DEFAULTS,
  type HungerOptions,
  hungerFromSearch,
  type LayerHungerSignal,
} from './hunger.js';
import { type Readout, ReadoutScorer } from './score.js';
import { type HardChoice, type SelectionKernels, SelectionSearch } from './search.js';
import {
  carriedStates,
  type LayerChoice,
  readoutTargets,
  runSlice,
  scaledInputs,
  sliceModel,
} from './submodel.js';

export interface SelectOptions extends SplitOptions, HungerOptions {
  /** Wall-clock budget for the whole selection, in ms. @defaultValue 1000 */
  readonly budgetMs: number;
  /** Coordinate-descent sweeps at most (another only while one improved). @defaultValue 2 */
  readonly sweeps: number;
  /** Input-scale grid tried on each winner after the sweeps. @defaultValue [0.5, 2] */
  readonly scaleGrid: readonly number[];
  /** Ridge of the readout refit, relative to the mean diagonal of the Gram matrix. @defaultValue 1e-6 */
  readonly ridge: number;
  /** Relative held-out improvement over the untouched model needed to install. @defaultValue 0.01 */
  readonly minGain: number;
  /** Warm-up rows per stream. @defaultValue warmupFor(model, buffer): 5 slowest τ in median Δt steps */
  readonly warmup: number;
  /** Clock in ms. @defaultValue performance.now */
  readonly now: () => number;
  /** What candidates are scored with (the winner is always judged by the reference). @defaultValue 'compiled' */
  readonly kernels: SelectionKernels;
}

export const SELECT_DEFAULTS: Readonly<SelectOptions> = Object.freeze({
  ...SPLIT_DEFAULTS,
  ...HUNGER_SELECT_DEFAULTS,
  budgetMs: 1000,
  sweeps: 2,
  scaleGrid: Object.freeze([0.5, 2]),
  ridge: 1e-6,
  minGain: 0.01,
  now: () => performance.now(),
  kernels: 'compiled',
});

export interface LayerSelection {
  layer: number;
  /** Entry in use before ('mixture' for a soft selector) and the one the search chose. */
  before: string;
  after: string;
  /** Held-out MSE (readout units) before this layer's first visit and after its last. */
  lossBefore: number;
  lossAfter: number;
}

export interface SelectionReport {
  readonly layers: LayerSelection[];
  /** True when the returned model differs from the one given. */
  readonly installed: boolean;
  readonly ms: number;
  readonly hunger: LayerHungerSignal[];
  /** Held-out MSE of the model as given, with its readout refitted, of the selection, and of the returned model. */
  readonly lossUntouched: number;
  readonly lossRefitted: number;
  readonly lossSelected: number;
  readonly lossFinal: number;
  /** Candidates scored (each a reference run of the layers from the one changed onwards). */
  readonly candidates: number;
  readonly sweeps: number;
  /** True when the budget stopped the search before it finished. */
  readonly budgetExhausted: boolean;
  readonly heldOutRows: number;
  readonly fitRows: number;
  /** Why nothing was tried (too few labelled rows), when so. */
  readonly skipped?: string;
}

/**
 * Rows to run before a stream is scored: five of the model's slowest τ, in steps of the buffer's
 * median Δt, so a candidate's state has moved off the carried one (see carriedStates); 8 at
 * least, 0 for a dense-only model.
 */
export function warmupFor(model: HybridModel, buffer: SampleBuffer): number {
  let tauMax = 0;
  model.layers.forEach((l, i) => {
    if (l.kind !== 'liquid') return;
    for (const r of param(model, `L${i}.rho`)) {
      tauMax = Math.max(tauMax, l.tauMin + (l.tauMax - l.tauMin) / (1 + Math.exp(-r)));
    }
  });
  if (tauMax === 0) return 0;
  return Math.max(8, Math.ceil((5 * tauMax) / buffer.medianDt()));
}

function storedRow(model: HybridModel, i: number, k: number): Float64Array {
  return param(model, `L${i}.affine`).slice(4 * k, 4 * k + 4);
}

/** The hard choices a model starts from: its own, or the argmax of a soft selector. */
function startChoices(model: HybridModel): HardChoice[] {
  return model.layers.map((layer, i) => {
    let k = layer.selector.chosen;
    if (layer.selector.mode === 'soft') {
      const l = param(model, `L${i}.logits`);
      k = 0;
      for (let j = 1; j < l.length; j++) if (l[j]! > l[k]!) k = j;
    }
    return { k, affine: storedRow(model, i, k) };
  });
}

/** The model with the given choices (hard ones installed with their affine rows) and readout. */
function install(model: HybridModel, choices: readonly LayerChoice[], readout: Readout): HybridModel {
  const layers = model.layers.map((layer, i) => {
    const c = choices[i]!;
    if (c === 'soft') return layer;
    return { ...layer, selector: { ...layer.selector, mode: 'hard' as const, chosen: c.k } };
  });
  const out = cloneModel(model, { layers });
  choices.forEach((c, i) => {
    if (c !== 'soft') out.params.get(`L${i}.affine`)!.set(c.affine, 4 * c.k);
  });
  out.params.set('readout.W', readout.W.slice());
  out.params.set('readout.b', readout.b.slice());
  return out;
}

export function selectOnDevice(
  model: HybridModel,
  buffer: SampleBuffer,
  options: Partial<SelectOptions> = {},
): { model: HybridModel; report: SelectionReport } {
  const o: SelectOptions = { ...SELECT_DEFAULTS, warmup: warmupFor(model, buffer), ...options };
  const t0 = o.now();
  const outOfTime = () => o.now() - t0 > o.budgetMs;
  const set = buffer.sequences(o);
  const names = model.layers.map((l) => layerCandidates(model, l).map((e) => e.name));
  const own: LayerChoice[] = model.layers.map((l, i) =>
    l.selector.mode === 'soft'
      ? 'soft'
      : { k: l.selector.chosen, affine: storedRow(model, i, l.selector.chosen) },
  );
  const beforeNames = own.map((c, i) => (c === 'soft' ? 'mixture' : names[i]![c.k]!));
  const width = model.layers[model.layers.length - 1]!.units;
  const base = { fitRows: set.fitRows, heldOutRows: set.heldOutRows, hunger: [], candidates: 0, sweeps: 0 };
  if (set.fitRows < width + 2 || set.heldOutRows < 1) {
    const skipped = `too few labelled rows (${set.fitRows} fitting, ${set.heldOutRows} held out; need ≥ ${width + 2} and ≥ 1)`;
    const layers = beforeNames.map((n, layer) => ({
      layer,
      before: n,
      after: n,
      lossBefore: NaN,
      lossAfter: NaN,
    }));
    const nan = { lossUntouched: NaN, lossRefitted: NaN, lossSelected: NaN, lossFinal: NaN };
    return {
      model,
      report: {
        ...base,
        ...nan,
        layers,
        installed: false,
        ms: o.now() - t0,
        budgetExhausted: false,
        skipped,
      },
    };
  }
  const xs = scaledInputs(model, set.x);
  const history = buffer.history();
  const init = carriedStates(model, own, { x: scaledInputs(model, history.x), dt: history.dt }, set.begins);
  const scorer = new ReadoutScorer(set, readoutTargets(model, set, xs), width, o.ridge);
  const search = new SelectionSearch(model, set, scorer, xs, startChoices(model), outOfTime, init, o.kernels);
  // the arbiter is the reference runner: last-layer features of the whole model for given choices
  const features = new Float64Array(set.steps * set.streams * width);
  const reference = (choices: readonly LayerChoice[]) => {
    runSlice(sliceModel(model, 0, model.layers.length, choices), set, xs, features, init);
    return features;
  };
  // the model as given: its own selectors and readout, then with the readout refitted
  const ownReadout = { W: param(model, 'readout.W'), b: param(model, 'readout.b') };
  const lossUntouched = scorer.loss(reference(own), ownReadout);
  const refitted = scorer.score(features);
  const sweeps = search.run(o.sweeps);
  if (!search.exhausted) search.refine(o.scaleGrid);
  const hunger = hungerFromSearch(search, o, outOfTime);
  // the winner's held-out loss as the reference runner computes it, with the readout the search fitted
  const readout = search.best.readout;
  const selected = { loss: scorer.loss(reference(search.choices), readout), readout };

  const bar = lossUntouched * (1 - o.minGain);
  let result = model;
  let lossFinal = lossUntouched;
  if (selected.loss < bar && selected.loss <= refitted.loss) {
    result = install(model, search.choices, selected.readout);
    lossFinal = selected.loss;
  } else if (refitted.loss < bar) {
    result = install(model, own, refitted.readout);
    lossFinal = refitted.loss;
  }
  const layers = search.records.map((rec, layer) => ({
    layer,
    before: beforeNames[layer]!,
    after: rec.visited ? names[layer]![search.choices[layer]!.k]! : beforeNames[layer]!,
    lossBefore: rec.lossBefore,
    lossAfter: rec.lossAfter,
  }));
  return {
    model: result,
    report: {
      ...base,
      layers,
      installed: result !== model,
      ms: o.now() - t0,
      hunger,
      lossUntouched,
      lossRefitted: refitted.loss,
      lossSelected: selected.loss,
      lossFinal,
      candidates: search.candidates,
      sweeps,
      budgetExhausted: search.exhausted,
    },
  };
}
