/**
 * The liquid hybrid in memory: architecture, the candidate activations, and named float64
 * parameter tensors in the canonical layout.
 *
 *   input → dense layer(s): h = φ_i(W·h + b)
 *         → liquid layer(s): x ← e·x + τ(1−e)·φ_i(W·x + U·h + b), h = x   (shared/liquid/cell.ts)
 *         → linear readout: y = W·h + b
 */
import type { ActivationEntry } from '../activations/index.js';
import { ModelError } from '../errors.js';
import type { ActivationLibrary } from '../library/library.js';
import type { LayerSpec, Scaling } from '../types/model.js';
import { type ArchitectureSpec, parameterLayout } from './layout.js';

export interface HybridModel extends ArchitectureSpec {
  /** Δt used when a caller gives none (same time unit as τ). */
  readonly dtDefault: number;
  readonly seed: number;
  /** Raw units at the boundary; absent = the model works in the caller's units. */
  readonly scaling?: Scaling;
  /** An input added to every output before the output scaling (a persistence skip). */
  readonly residualInput?: number;
  /** The library the selectors' candidate ids refer to (saved as the model's library.json). */
  readonly library: ActivationLibrary;
  /** Parameter tensors by name, shapes as parameterLayout() gives them. */
  readonly params: Map<string, Float64Array>;
}

export function param(model: HybridModel, name: string): Float64Array {
  const t = model.params.get(name);
  if (!t) throw new ModelError(`model has no parameter tensor '${name}'`);
  return t;
}

/** The library entries a layer's selector may choose from, in candidate order. */
export function layerCandidates(model: HybridModel, layer: LayerSpec): ActivationEntry[] {
  return layer.selector.candidates.map((id) => {
    const e = model.library.entries.find((x) => x.id === id);
    if (!e)
      throw new ModelError(`selector candidate '${id}' is not in library version ${model.library.version}`);
    return e;
  });
}

/** Check that every tensor is present with the right size (after loading or editing). */
export function checkParams(model: HybridModel, where: string): void {
  for (const t of parameterLayout(model)) {
    const data = model.params.get(t.name);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!data) throw new ModelError(`${where}: missing parameter tensor '${t.name}'`);
    if (data.length !== size) {
      throw new ModelError(
        `${where}: tensor '${t.name}' has ${data.length} values, shape [${t.shape}] needs ${size}`,
      );
    }
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]!))
        throw new ModelError(`${where}: tensor '${t.name}'[${i}] is not finite`);
    }
  }
  for (const layer of model.layers) layerCandidates(model, layer);
}

/** A deep copy whose tensors can be changed without touching the original. */
export function cloneModel(
  model: HybridModel,
  changes: Partial<Omit<HybridModel, 'params'>> = {},
): HybridModel {
  const params = new Map<string, Float64Array>();
  for (const [k, v] of model.params) params.set(k, v.slice());
  return { ...model, ...changes, params };
}

/** Replace every soft selector by its argmax (the deployment choice). */
export function hardenSelection(model: HybridModel): HybridModel {
  const layers = model.layers.map((layer, i) => {
    if (layer.selector.mode === 'hard') return layer;
    const logits = param(model, `L${i}.logits`);
    let best = 0;
    for (let k = 1; k < logits.length; k++) if (logits[k]! > logits[best]!) best = k;
    return { ...layer, selector: { ...layer.selector, mode: 'hard' as const, chosen: best } };
  });
  return cloneModel(model, { layers });
}
