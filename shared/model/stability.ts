/**
 * Stability of a liquid hybrid on an endless stream.
 *
 * A liquid layer with a bounded activation (tanh, sigmoid, sin, gaussian) cannot run away: its
 * state stays within τ·sup|φ|. With an unbounded one (identity, relu, leaky_relu, softplus,
 * silu, gelu, a discovered entry with a linear tail) the recurrence x ← e·x + τ(1−e)·φ(W·x + …)
 * can. Training therefore keeps such a layer a contraction (contractLiquidLayers, applied after
 * every optimiser step): for each neuron i,
 *
 *     τ_i · Lip(φ) · Σ_j |W_ij| ≤ γ < 1,   Lip(φ) = |a·c|·max|ψ′|
 *
 * which makes the step map a contraction in the ∞-norm with rate e + (1 − e)·γ < 1 for any
 * Δt > 0, so with bounded (clamped) inputs the state, and the output read from it, stay bounded.
 *
 * checkStability runs a model for many steps on inputs inside and beyond the training range
 * and reports the first step where the state or the output left any sane bound.
 */
import { type ActivationEntry, compileActivation } from '../activations/index.js';
import { tauFromRhoInto } from '../liquid/cell.js';
import { Rng } from '../numeric/rng.js';
import { type HybridModel, layerCandidates, param } from './model.js';
import { ReferenceRunner } from './reference.js';

/** The contraction factor training keeps unbounded liquid layers under. */
export const CONTRACTION_GAMMA = 0.9;

interface Growth {
  readonly unbounded: boolean;
  /** max |ψ′| over a wide grid (the Lipschitz constant of the canonical shape). */
  readonly lipschitz: number;
}

const growthCache = new Map<string, Growth>();

/** Whether an entry grows without bound, and its Lipschitz constant, measured on [−1e3, 1e3]. */
export function entryGrowth(entry: ActivationEntry): Growth {
  const cached = growthCache.get(entry.id);
  if (cached) return cached;
  const f = compileActivation(entry);
  const n = 40001;
  const z = new Float64Array(n + 2);
  for (let i = 0; i < n; i++) z[i] = -100 + (200 * i) / (n - 1);
  z[n] = -1e3;
  z[n + 1] = 1e3;
  const y = new Float64Array(z.length);
  const dy = new Float64Array(z.length);
  f.evalInto(z, y, dy);
  let lipschitz = 0;
  for (let i = 0; i < z.length; i++) lipschitz = Math.max(lipschitz, Math.abs(dy[i]!));
  const unbounded = Math.max(Math.abs(y[n]!), Math.abs(y[n + 1]!)) > 100;
  const g = { unbounded, lipschitz };
  growthCache.set(entry.id, g);
  return g;
}

/** Liquid layers whose hard-chosen entry is unbounded: index, entry, Lipschitz of ψ. */
export function unboundedLiquidLayers(
  model: HybridModel,
): { layer: number; entry: ActivationEntry; lipschitz: number }[] {
  return model.layers.flatMap((l, i) => {
    if (l.kind !== 'liquid' || l.selector.mode !== 'hard') return [];
    const entry = layerCandidates(model, l)[l.selector.chosen]!;
    const g = entryGrowth(entry);
    return g.unbounded ? [{ layer: i, entry, lipschitz: g.lipschitz }] : [];
  });
}

/**
 * Scale down the recurrent rows of every unbounded hard liquid layer so that
 * τ_i·Lip(φ)·Σ_j|W_ij| ≤ gamma (in place; the model's own arrays, so the optimiser's Vars see it).
 */
export function contractLiquidLayers(model: HybridModel, gamma = CONTRACTION_GAMMA): void {
  for (const { layer, lipschitz } of unboundedLiquidLayers(model)) {
    const spec = model.layers[layer]!;
    if (spec.kind !== 'liquid') continue;
    const p = `L${layer}`;
    const k = spec.selector.chosen;
    const aff = param(model, `${p}.affine`);
    const lip = Math.abs(aff[4 * k]! * aff[4 * k + 2]!) * lipschitz;
    if (lip === 0) continue;
    const W = param(model, `${p}.W`);
    const H = spec.units;
    const tau = new Float64Array(H);
    tauFromRhoInto(param(model, `${p}.rho`), spec.tauMin, spec.tauMax, tau);
    for (let i = 0; i < H; i++) {
      let r = 0;
      for (let j = 0; j < H; j++) r += Math.abs(W[i * H + j]!);
      const limit = gamma / (tau[i]! * lip);
      if (r > limit) {
        const s = limit / r;
        for (let j = 0; j < H; j++) W[i * H + j]! *= s;
      }
    }
  }
}

/**
 * Per liquid neuron (in state order), the largest τ that keeps the contraction at `gamma` with
 * the model's weights: 1/(Lip(φ)·Σ_j|W_ij|)·gamma for unbounded hard layers, Infinity elsewhere.
 * Online τ adaptation on the device (device/adapt) stays under these caps, so the bound holds there too.
 */
export function contractionTauCaps(model: HybridModel, gamma = CONTRACTION_GAMMA): Float64Array {
  const caps: number[] = [];
  const unbounded = new Map(unboundedLiquidLayers(model).map((u) => [u.layer, u.lipschitz]));
  model.layers.forEach((spec, layer) => {
    if (spec.kind !== 'liquid') return;
    const lipschitz = unbounded.get(layer);
    const H = spec.units;
    if (lipschitz === undefined) {
      for (let i = 0; i < H; i++) caps.push(Number.POSITIVE_INFINITY);
      return;
    }
    const k = spec.selector.chosen;
    const aff = param(model, `L${layer}.affine`);
    const lip = Math.abs(aff[4 * k]! * aff[4 * k + 2]!) * lipschitz;
    const W = param(model, `L${layer}.W`);
    for (let i = 0; i < H; i++) {
      let r = 0;
      for (let j = 0; j < H; j++) r += Math.abs(W[i * H + j]!);
      caps.push(lip * r > 0 ? gamma / (lip * r) : Number.POSITIVE_INFINITY);
    }
  });
  return Float64Array.from(caps);
}

export interface StabilityOptions {
  /** @defaultValue 100000 */
  readonly steps?: number;
  /** Per input, the training range [lo, hi] and its standard deviation, in the model's units. */
  readonly range: readonly { readonly lo: number; readonly hi: number; readonly std: number }[];
  /** A state or standardised output beyond this counts as diverged. @defaultValue 1e4 */
  readonly bound?: number;
  readonly seed?: number;
}

export interface StabilityFailure {
  /** The stream that diverged ('in-range', 'above', 'below', 'wide', 'alternating'). */
  readonly stream: string;
  readonly step: number;
  /** The entry of each liquid layer (what was chosen), for the message. */
  readonly entries: string;
  readonly value: number;
}

export const STABILITY_STREAMS = ['in-range', 'above', 'below', 'wide', 'alternating'] as const;

/**
 * Runs the model on five streams at once for `steps` steps: uniform noise over the training
 * range, a constant 3σ above and below it, noise over the range widened by 3σ each side, and a
 * square wave between the widened extremes. Null when all stayed bounded.
 */
export function checkStability(model: HybridModel, o: StabilityOptions): StabilityFailure | null {
  const steps = o.steps ?? 100_000;
  const bound = o.bound ?? 1e4;
  const S = STABILITY_STREAMS.length;
  const d = model.inputs;
  const runner = new ReferenceRunner(model, S);
  const rng = new Rng(o.seed ?? 0);
  const x = new Float64Array(S * d);
  const y = new Float64Array(S * model.outputs);
  const sc = model.scaling;
  for (let t = 0; t < steps; t++) {
    for (let c = 0; c < d; c++) {
      const { lo, hi, std } = o.range[c]!;
      x[c] = rng.uniform(lo, hi);
      x[d + c] = hi + 3 * std;
      x[2 * d + c] = lo - 3 * std;
      x[3 * d + c] = rng.uniform(lo - 3 * std, hi + 3 * std);
      x[4 * d + c] = t % 2 ? hi + 3 * std : lo - 3 * std;
    }
    runner.step(x, model.dtDefault, y);
    const W = runner.stateWidth;
    for (let s = 0; s < S; s++) {
      let worst = 0;
      for (let i = 0; i < W; i++) worst = Math.max(worst, Math.abs(runner.state[s * W + i]!));
      for (let r = 0; r < model.outputs; r++) {
        const v = y[s * model.outputs + r]!;
        const std = sc ? (v - sc.outputMean[r]!) / sc.outputStd[r]! : v;
        worst = Math.max(worst, Math.abs(std));
      }
      if (!(worst <= bound)) {
        return {
          stream: STABILITY_STREAMS[s]!,
          step: t,
          value: worst,
          entries: model.layers
            .map((l, i) => `L${i} ${l.kind} ${layerCandidates(model, l)[l.selector.chosen]!.name}`)
            .join(', '),
        };
      }
    }
  }
  return null;
}
