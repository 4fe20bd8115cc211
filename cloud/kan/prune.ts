/**
 * Pruning (KAN paper §2.5.1, pykan's prune_node + prune_edge): drop hidden nodes whose incoming
 * and outgoing edges are not both significant, then mask edges that carry almost nothing.
 *
 * Edge score: s_e = mean |φ_e(x)| over the data, normalised per layer by the layer's largest
 * score (so thresholds are relative and scale-free). Hidden node n of layer l is kept when
 * max_i s_{l−1}[i, n] > nodeThreshold and max_j s_l[n, j] > nodeThreshold. Input and output
 * nodes are always kept; a hidden layer keeps at least its most important node.
 */
import { InputError } from '../../shared/errors.js';
import { Kan } from './kan.js';
import type { KanLayer } from './layer.js';

export interface PruneOptions {
  /** Relative score a hidden node's best incoming and outgoing edges must exceed. @defaultValue 1e-2 */
  readonly nodeThreshold: number;
  /** Edges of the pruned KAN scoring at most this (relative) are masked; 0 keeps all. @defaultValue 1e-2 */
  readonly edgeThreshold: number;
}

export const PRUNE_DEFAULTS: Readonly<PruneOptions> = Object.freeze({
  nodeThreshold: 1e-2,
  edgeThreshold: 1e-2,
});

export interface PruneResult {
  /** The smaller KAN (a new object; the input KAN is unchanged). */
  readonly kan: Kan;
  /** Per node layer l = 0 … L, the old indices of the kept nodes, in order. */
  readonly kept: readonly number[][];
  /** Per node layer, old index → new index, or −1 for a removed node. */
  readonly index: readonly Int32Array[];
}

/** Edge scores per layer, each normalised by its maximum, [nIn·nOut]. */
export function edgeScores(kan: Kan, x: Float64Array, batch: number): Float64Array[] {
  return kan.edgeScales(x, batch).map((A) => {
    let m = 0;
    for (const v of A) m = Math.max(m, v);
    return m > 0 ? A.map((v) => v / m) : A;
  });
}

/** Copy of `layer` restricted to inputs `ins` and outputs `outs` (old indices). */
function subLayer(layer: KanLayer, ins: readonly number[], outs: readonly number[]): KanLayer {
  const { G, k, knots } = layer.grid;
  const M = G + 2 * k + 1;
  const nb = G + k;
  const nIn = ins.length;
  const nOut = outs.length;
  const sub = {
    nIn,
    nOut,
    grid: { knots: new Float64Array(nIn * M), nIn, G, k },
    coef: new Float64Array(nIn * nOut * nb),
    wb: new Float64Array(nIn * nOut),
    ws: new Float64Array(nIn * nOut),
    mask: new Float64Array(nIn * nOut),
    symbolic: new Array(nIn * nOut).fill(null),
  };
  ins.forEach((i, ni) => {
    sub.grid.knots.set(knots.subarray(i * M, (i + 1) * M), ni * M);
    outs.forEach((j, nj) => {
      const e = i * layer.nOut + j;
      const ne = ni * nOut + nj;
      sub.coef.set(layer.coef.subarray(e * nb, (e + 1) * nb), ne * nb);
      sub.wb[ne] = layer.wb[e]!;
      sub.ws[ne] = layer.ws[e]!;
      sub.mask[ne] = layer.mask[e]!;
      sub.symbolic[ne] = layer.symbolic[e] ?? null;
    });
  });
  return sub;
}

/** Node pruning maps nodes to edges one to one, which product nodes (two sub-nodes each) break. */
function refuseProducts(kan: Kan, what: string): void {
  if (kan.mult.some((m) => m > 0))
    throw new InputError(
      `${what}: a KAN with multiplication nodes (mult [${kan.mult.join(', ')}]) is not pruned`,
    );
}

/** Prune hidden nodes, then weak edges, judged on the data x [batch, width[0]]. */
export function pruneKan(
  kan: Kan,
  x: Float64Array,
  batch: number,
  options: Partial<PruneOptions> = {},
): PruneResult {
  const { nodeThreshold, edgeThreshold } = { ...PRUNE_DEFAULTS, ...options };
  refuseProducts(kan, 'pruneKan');
  const scores = edgeScores(kan, x, batch);
  const { width } = kan;
  const kept: number[][] = [Array.from({ length: width[0]! }, (_, i) => i)];
  for (let l = 1; l < width.length - 1; l++) {
    const into = scores[l - 1]!;
    const from = scores[l]!;
    const n = width[l]!;
    const nNext = width[l + 1]!;
    const inBest = (node: number) => Math.max(...kept[l - 1]!.map((i) => into[i * n + node]!));
    const outBest = (node: number) =>
      Math.max(...Array.from({ length: nNext }, (_, j) => from[node * nNext + j]!));
    const nodes = Array.from({ length: n }, (_, node) => node);
    let keep = nodes.filter((node) => inBest(node) > nodeThreshold && outBest(node) > nodeThreshold);
    if (keep.length === 0) {
      const best = nodes.reduce((a, b) => (inBest(b) * outBest(b) > inBest(a) * outBest(a) ? b : a));
      keep = [best];
    }
    kept.push(keep);
  }
  kept.push(Array.from({ length: width.at(-1)! }, (_, j) => j));
  const layers = kan.layers.map((L, l) => subLayer(L, kept[l]!, kept[l + 1]!));
  if (edgeThreshold > 0) {
    layers.forEach((L, l) => {
      kept[l]!.forEach((i, ni) => {
        kept[l + 1]!.forEach((j, nj) => {
          const ne = ni * L.nOut + nj;
          if (!L.symbolic[ne] && scores[l]![i * kan.layers[l]!.nOut + j]! <= edgeThreshold) L.mask[ne] = 0;
        });
      });
    });
  }
  const index = kept.map((keep, l) => {
    const map = new Int32Array(width[l]!).fill(-1);
    keep.forEach((old, idx) => {
      map[old] = idx;
    });
    return map;
  });
  return { kan: new Kan(layers), kept, index };
}

/** The KAN without hidden node `node` of node layer l (0 < l < L), every other edge unchanged. */
export function dropHiddenNode(kan: Kan, l: number, node: number): Kan {
  const { width } = kan;
  refuseProducts(kan, 'dropHiddenNode');
  if (!(l > 0 && l < width.length - 1) || !(node >= 0 && node < width[l]!) || width[l]! < 2) {
    throw new InputError(`dropHiddenNode: no removable node ${node} in layer ${l} of [${width.join(', ')}]`);
  }
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const keep = all(width[l]!).filter((i) => i !== node);
  const layers = kan.layers.map((L, k) =>
    subLayer(L, k === l ? keep : all(L.nIn), k + 1 === l ? keep : all(L.nOut)),
  );
  return new Kan(layers);
}
