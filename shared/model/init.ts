/**
 * A fresh liquid hybrid with seeded weights: fan-in scaled normal weights, a recurrent matrix
 * small enough that the untrained cell is contractive, τ spread log-uniformly over its band,
 * and every candidate's affine set to its entry's natural affine.
 */
import type { ActivationEntry } from '../activations/index.js';
import { InputError } from '../errors.js';
import type { ActivationLibrary } from '../library/library.js';
import { rhoFromTau } from '../liquid/cell.js';
import { Rng } from '../numeric/rng.js';
import type { LayerSpec, SelectorSpec } from '../types/model.js';
import { parameterLayout } from './layout.js';
import type { HybridModel } from './model.js';

export interface InitOptions {
  readonly library: ActivationLibrary;
  readonly inputs: number;
  /** Units of the input dense layer and of the liquid layer. */
  readonly hidden: number;
  readonly outputs: number;
  readonly seed: number;
  /** @defaultValue 1 */
  readonly denseLayers?: number;
  /** @defaultValue 1 */
  readonly liquidLayers?: number;
  /** Start hard on this entry (id or name) instead of a uniform soft mixture over the library. */
  readonly activation?: string;
  /** @defaultValue 1 */
  readonly temperature?: number;
  /** @defaultValue 1 */
  readonly dtDefault?: number;
  /** @defaultValue 0.2 */
  readonly tauMin?: number;
  /** @defaultValue 20 */
  readonly tauMax?: number;
}

function selectorFor(
  library: ActivationLibrary,
  activation: string | undefined,
  temperature: number,
): SelectorSpec {
  const candidates = library.entries.map((e) => e.id);
  if (activation === undefined) return { candidates, mode: 'soft', temperature, chosen: 0 };
  return { candidates, mode: 'hard', temperature, chosen: libraryEntryIndex(library, activation) };
}

/** Where an entry named by id or name sits in the library; refused by name when it is not there. */
export function libraryEntryIndex(library: ActivationLibrary, activation: string): number {
  const at = library.entries.findIndex((e) => e.id === activation || e.name === activation);
  if (at < 0) {
    throw new InputError(
      `activation '${activation}' is not in the library (entries: ${library.entries.map((e) => e.name).join(', ')})`,
    );
  }
  return at;
}

export function initModel(opts: InitOptions): HybridModel {
  for (const [k, v] of [
    ['inputs', opts.inputs],
    ['hidden', opts.hidden],
    ['outputs', opts.outputs],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`--${k} must be a positive integer, got ${v}`);
  }
  const temperature = opts.temperature ?? 1;
  const tauMin = opts.tauMin ?? 0.2;
  const tauMax = opts.tauMax ?? 20;
  const selector = selectorFor(opts.library, opts.activation, temperature);
  const layers: LayerSpec[] = [];
  for (let i = 0; i < (opts.denseLayers ?? 1); i++)
    layers.push({ kind: 'dense', units: opts.hidden, selector });
  for (let i = 0; i < (opts.liquidLayers ?? 1); i++) {
    layers.push({ kind: 'liquid', units: opts.hidden, tauMin, tauMax, selector });
  }
  const arch = { inputs: opts.inputs, outputs: opts.outputs, layers };
  const rng = new Rng(opts.seed);
  const entries = new Map<string, ActivationEntry>(opts.library.entries.map((e) => [e.id, e]));
  const params = new Map<string, Float64Array>();
  for (const t of parameterLayout(arch)) {
    const data = new Float64Array(t.shape.reduce((a, b) => a * b, 1));
    const field = t.name.slice(t.name.indexOf('.') + 1);
    const layerIndex = t.name.startsWith('L') ? Number(t.name.slice(1, t.name.indexOf('.'))) : -1;
    if (field === 'W' || field === 'U') {
      const fanIn = t.shape[1]!;
      const recurrent = field === 'W' && layers[layerIndex]?.kind === 'liquid';
      const std = recurrent ? 0.5 / Math.sqrt(fanIn) : 1 / Math.sqrt(fanIn);
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    } else if (field === 'rho') {
      const layer = layers[layerIndex]!;
      if (layer.kind !== 'liquid') throw new Error('rho on a dense layer');
      // τ log-uniform over the inner part of the band: a spread of memory lengths to start from.
      const lo = Math.log(tauMin * 1.5);
      const hi = Math.log(tauMax / 1.5);
      for (let i = 0; i < data.length; i++) {
        const frac = data.length === 1 ? 0.5 : i / (data.length - 1);
        data[i] = rhoFromTau(Math.exp(lo + (hi - lo) * frac), tauMin, tauMax);
      }
    } else if (field === 'affine') {
      const ids = layers[layerIndex]!.selector.candidates;
      ids.forEach((id, k) => {
        const n = entries.get(id)!.natural;
        data.set([n.a, n.b, n.c, n.d], 4 * k);
      });
    }
    params.set(t.name, data);
  }
  return {
    ...arch,
    dtDefault: opts.dtDefault ?? 1,
    seed: opts.seed,
    library: opts.library,
    params,
  };
}
