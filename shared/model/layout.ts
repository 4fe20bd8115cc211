/**
 * Parameter layout of a liquid hybrid: every tensor's name and shape, in the one canonical
 * order used by weights.bin, the optimisers and the exporter.
 *
 *   dense layer i:   L{i}.W [units, in]   L{i}.b [units]
 *   liquid layer i:  L{i}.W [H, H] (recurrent)   L{i}.U [H, in]   L{i}.b [H]   L{i}.rho [H]
 *   every layer:     L{i}.logits [K]   L{i}.affine [K, 4] rows (a, b, c, d)
 *   readout:         readout.W [outputs, last]   readout.b [outputs]
 */
import { ModelError } from '../errors.js';
import type { LayerSpec } from '../types/model.js';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

export interface ArchitectureSpec {
  readonly inputs: number;
  readonly outputs: number;
  readonly layers: readonly LayerSpec[];
}

/** Weight matrices (the tensors quantisation applies to), as opposed to biases and small vectors. */
export function isWeightMatrix(name: string): boolean {
  return name.endsWith('.W') || name.endsWith('.U');
}

export function validateArchitecture(arch: ArchitectureSpec): void {
  let seenLiquid = false;
  arch.layers.forEach((layer, i) => {
    if (layer.kind === 'liquid') seenLiquid = true;
    else if (seenLiquid) {
      throw new ModelError(
        `layers[${i}] is a dense layer after a liquid layer; dense layers must come first`,
      );
    }
  });
}

export function parameterLayout(arch: ArchitectureSpec): TensorSpec[] {
  validateArchitecture(arch);
  const out: TensorSpec[] = [];
  let width = arch.inputs;
  arch.layers.forEach((layer, i) => {
    const p = `L${i}`;
    const K = layer.selector.candidates.length;
    if (layer.kind === 'dense') {
      out.push({ name: `${p}.W`, shape: [layer.units, width] }, { name: `${p}.b`, shape: [layer.units] });
    } else {
      const H = layer.units;
      out.push(
        { name: `${p}.W`, shape: [H, H] },
        { name: `${p}.U`, shape: [H, width] },
        { name: `${p}.b`, shape: [H] },
        { name: `${p}.rho`, shape: [H] },
      );
    }
    out.push({ name: `${p}.logits`, shape: [K] }, { name: `${p}.affine`, shape: [K, 4] });
    width = layer.units;
  });
  out.push({ name: 'readout.W', shape: [arch.outputs, width] }, { name: 'readout.b', shape: [arch.outputs] });
  return out;
}

/** Total liquid state width (the concatenated states of every liquid layer). */
export function stateWidth(arch: ArchitectureSpec): number {
  let h = 0;
  for (const l of arch.layers) if (l.kind === 'liquid') h += l.units;
  return h;
}

export function parameterCount(arch: ArchitectureSpec): number {
  let n = 0;
  for (const t of parameterLayout(arch)) n += t.shape.reduce((a, b) => a * b, 1);
  return n;
}
