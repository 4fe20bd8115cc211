/**
 * The model flavours `compare` sets side by side on one data set and one parameter budget:
 *   mlp-relu, mlp-tanh — dense layers over the flattened window (no recurrence)
 *   liquid-tanh        — the liquid cell with a fixed tanh (CfC-like)
 *   hybrid             — the liquid hybrid selecting from the library
 * Hidden sizes are chosen per flavour so every flavour's parameter count is as close as
 * possible to the budget.
 */
import type { ActivationLibrary } from '../../shared/library/library.js';
import { type InitOptions, initModel } from '../../shared/model/init.js';
import { parameterCount } from '../../shared/model/layout.js';
import type { HybridModel } from '../../shared/model/model.js';
import type { WindowSet } from './windows.js';

export type Flavour = 'mlp-relu' | 'mlp-tanh' | 'liquid-tanh' | 'hybrid';
export const FLAVOURS: readonly Flavour[] = ['mlp-relu', 'mlp-tanh', 'liquid-tanh', 'hybrid'];

/** The same windows seen all at once: [n, W, d] is already [n, 1, W·d] in memory. */
export function flattenWindows(set: WindowSet): WindowSet {
  return { ...set, window: 1, inputs: set.window * set.inputs };
}

function flavourInit(
  f: Flavour,
  lib: ActivationLibrary,
  inputs: number,
  window: number,
  hidden: number,
  seed: number,
): InitOptions {
  const base = { library: lib, outputs: 1, seed, hidden };
  switch (f) {
    case 'mlp-relu':
    case 'mlp-tanh':
      return {
        ...base,
        inputs: inputs * window,
        denseLayers: 2,
        liquidLayers: 0,
        activation: f === 'mlp-relu' ? 'relu' : 'tanh',
      };
    case 'liquid-tanh':
      return { ...base, inputs, activation: 'tanh' };
    case 'hybrid':
      return { ...base, inputs };
  }
}

/** A fresh model of the flavour whose parameter count is closest to `budget`. */
export function flavourModel(
  f: Flavour,
  lib: ActivationLibrary,
  inputs: number,
  window: number,
  budget: number,
  seed: number,
): HybridModel {
  let best: HybridModel | null = null;
  for (let h = 2; h <= 256; h++) {
    const m = initModel(flavourInit(f, lib, inputs, window, h, seed));
    if (!best || Math.abs(parameterCount(m) - budget) < Math.abs(parameterCount(best) - budget)) best = m;
    if (parameterCount(m) > budget) break;
  }
  return best!;
}

export function isFlat(f: Flavour): boolean {
  return f === 'mlp-relu' || f === 'mlp-tanh';
}
