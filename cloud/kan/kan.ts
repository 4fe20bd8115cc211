/**
 * The KAN model: a stack of KanLayers whose trainable parameters (coef, wb, ws per layer, in
 * layer order) live in one flat Float64Array, so L-BFGS can optimise them directly and every
 * layer's arrays are views into it. Shapes never change after construction: grid updates
 * rewrite knots and coef in place; grid refinement and pruning return a new Kan.
 *
 * Node values: acts[0] = x [batch, width[0]], acts[l + 1] = layer l's output [batch, width[l + 1]]
 * (with multiplication nodes, layer l's output sub-nodes paired into products, see mult.ts).
 */
import { InputError, ShapeError } from '../../shared/errors.js';
import { Rng } from '../../shared/numeric/rng.js';
import { ensureWork, layerForward } from './kernel.js';
import {
  createLayer,
  gridRange,
  type KanLayer,
  LAYER_INIT_DEFAULTS,
  type LayerInitOptions,
} from './layer.js';
import { multForward, nodesOf } from './mult.js';
import { type KanJSON, layersFromJSON, layersToJSON, type SymbolicResolver } from './serialize.js';
import { evalSymbolic, type SymbolicEdge, type SymbolicFunction } from './symbolic.js';

export interface KanOptions extends LayerInitOptions {
  /** Seed of the initialisation. @defaultValue 0 */
  readonly seed: number;
  /**
   * Per node layer, how many of its width[l] nodes are products of two sub-nodes (pykan's
   * width [2, [0, 1], 1] is width [2, 1, 1] with mult [0, 1, 0]). @defaultValue all 0
   */
  readonly mult?: readonly number[];
}

export const KAN_DEFAULTS: Readonly<KanOptions> = Object.freeze({ ...LAYER_INIT_DEFAULTS, seed: 0 });

/** An edge: layer l, input node i, output j (a sub-node where layer l feeds product nodes, see mult.ts). */
export interface EdgeRef {
  readonly l: number;
  readonly i: number;
  readonly j: number;
}

/** A copy of a layer's output as node values (products formed where the layer has them). */
function nodeValues(L: KanLayer, out: Float64Array, batch: number): Float64Array {
  const m = L.mult ?? 0;
  if (m === 0) return Float64Array.from(out);
  return multForward(out, batch, L.nOut, m, new Float64Array(batch * (L.nOut - m)));
}

export class Kan {
  /** Nodes per layer, [n0, n1, …, nL]. */
  readonly width: readonly number[];
  /** Product nodes per node layer (the last mult[l] of width[l]); all 0 for a plain KAN. */
  readonly mult: readonly number[];
  readonly layers: readonly KanLayer[];
  /** All trainable parameters; layer l's coef, wb, ws are consecutive views into it. */
  readonly params: Float64Array;

  /** Copies the layers' parameters into one flat buffer (the given arrays are not kept). */
  constructor(layers: readonly KanLayer[]) {
    if (layers.length === 0) throw new InputError('Kan: need at least one layer');
    for (const [l, L] of layers.entries()) {
      const m = L.mult ?? 0;
      if (!Number.isInteger(m) || m < 0 || 2 * m > L.nOut)
        throw new ShapeError(`Kan: layer ${l} has ${L.nOut} outputs, too few for ${m} product nodes`);
      if (l > 0 && L.nIn !== nodesOf(layers[l - 1]!.nOut, layers[l - 1]!.mult ?? 0)) {
        throw new ShapeError(
          `Kan: layer ${l} takes ${L.nIn} inputs but layer ${l - 1} gives ${nodesOf(layers[l - 1]!.nOut, layers[l - 1]!.mult ?? 0)}`,
        );
      }
    }
    let n = 0;
    for (const L of layers) n += L.coef.length + 2 * L.wb.length;
    this.params = new Float64Array(n);
    let o = 0;
    const view = (src: Float64Array): Float64Array => {
      const v = this.params.subarray(o, o + src.length);
      v.set(src);
      o += src.length;
      return v;
    };
    this.layers = layers.map((L) => ({
      nIn: L.nIn,
      nOut: L.nOut,
      grid: { ...L.grid, knots: Float64Array.from(L.grid.knots) },
      coef: view(L.coef),
      wb: view(L.wb),
      ws: view(L.ws),
      mask: Float64Array.from(L.mask),
      symbolic: [...L.symbolic],
      ...(L.mult ? { mult: L.mult } : {}),
    }));
    this.width = [layers[0]!.nIn, ...layers.map((L) => nodesOf(L.nOut, L.mult ?? 0))];
    this.mult = [0, ...layers.map((L) => L.mult ?? 0)];
  }

  /** A new KAN of the given width, initialised as pykan does (see LayerInitOptions). */
  static create(width: readonly number[], options: Partial<KanOptions> = {}): Kan {
    const o = { ...KAN_DEFAULTS, ...options };
    if (width.length < 2 || width.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new InputError(`Kan.create: width must list ≥ 2 positive integers, got [${width.join(', ')}]`);
    }
    const mult = o.mult ?? width.map(() => 0);
    if (
      mult.length !== width.length ||
      mult[0] !== 0 ||
      mult.some((m, l) => !Number.isInteger(m) || m < 0 || m > width[l]!)
    ) {
      throw new InputError(
        `Kan.create: mult [${mult.join(', ')}] must give 0 … width[l] product nodes per layer of [${width.join(', ')}], none among the inputs`,
      );
    }
    const rng = new Rng(o.seed).fork('kan-init');
    const layers = [];
    for (let l = 0; l + 1 < width.length; l++) {
      const m = mult[l + 1]!;
      const layer = createLayer(width[l]!, width[l + 1]! + m, o, rng);
      layers.push(m > 0 ? { ...layer, mult: m } : layer);
    }
    return new Kan(layers);
  }

  /** Number of trainable parameters (coef, wb, ws of every layer, masked edges included). */
  parameterCount(): number {
    return this.params.length;
  }

  private checkInput(x: Float64Array, batch: number): void {
    if (!Number.isInteger(batch) || batch < 1 || x.length !== batch * this.width[0]!) {
      throw new ShapeError(`Kan: x holds ${x.length} values, expected [${batch}, ${this.width[0]}]`);
    }
  }

  /** Every node value: [x, layer 0 output, …], acts[l] has shape [batch, width[l]]. */
  activations(x: Float64Array, batch: number): Float64Array[] {
    this.checkInput(x, batch);
    const acts = [x];
    for (const L of this.layers)
      acts.push(nodeValues(L, layerForward(L, acts.at(-1)!, batch, ensureWork(L, batch)), batch));
    return acts;
  }

  /** Model output [batch, width[L]]. */
  predict(x: Float64Array, batch: number): Float64Array {
    return this.activations(x, batch).at(-1)!;
  }

  /** Per layer, mean |φ_e| over the data for each edge e = i·nOut + j, [nIn·nOut]. */
  edgeScales(x: Float64Array, batch: number): Float64Array[] {
    this.checkInput(x, batch);
    const scales: Float64Array[] = [];
    let h = x;
    for (const L of this.layers) {
      const work = ensureWork(L, batch);
      h = nodeValues(L, layerForward(L, h, batch, work, true), batch);
      const s = Float64Array.from(work.absMean);
      // symbolic edges: their mean |φ| too, so pruning keeps them
      for (let e = 0; e < s.length; e++) {
        const sym = L.symbolic[e];
        if (!sym) continue;
        let acc = 0;
        for (let b = 0; b < batch; b++)
          acc += Math.abs(evalSymbolic(sym, work.x[b * L.nIn + Math.floor(e / L.nOut)]!));
        s[e] = acc / batch;
      }
      scales.push(s);
    }
    return scales;
  }

  private edgeIndex(l: number, i: number, j: number): number {
    const L = this.layers[l];
    if (!L || !Number.isInteger(i) || i < 0 || i >= L.nIn || !Number.isInteger(j) || j < 0 || j >= L.nOut) {
      throw new InputError(`Kan: no edge (l=${l}, i=${i}, j=${j}) in width [${this.width.join(', ')}]`);
    }
    return i * L.nOut + j;
  }

  /** Edges that are not pruned: numeric ones (mask 1) and symbolic ones. */
  activeEdges(): EdgeRef[] {
    const edges: EdgeRef[] = [];
    this.layers.forEach((L, l) => {
      for (let e = 0; e < L.nIn * L.nOut; e++) {
        if (L.mask[e] !== 0 || L.symbolic[e]) edges.push({ l, i: Math.floor(e / L.nOut), j: e % L.nOut });
      }
    });
    return edges;
  }

  /** The symbolic formula of an edge, or null when it is numeric. */
  edgeSymbolic(l: number, i: number, j: number): SymbolicEdge | null {
    return this.layers[l]!.symbolic[this.edgeIndex(l, i, j)] ?? null;
  }

  /**
   * φ_ij of layer l as a plain function, from a snapshot of the current parameters (later
   * training does not change it).
   */
  edgeFunction(l: number, i: number, j: number): (x: number) => number {
    const e = this.edgeIndex(l, i, j);
    const L = this.layers[l]!;
    const { G, k } = L.grid;
    const M = G + 2 * k + 1;
    const single: KanLayer = {
      nIn: 1,
      nOut: 1,
      grid: { knots: L.grid.knots.slice(i * M, (i + 1) * M), nIn: 1, G, k },
      coef: L.coef.slice(e * (G + k), (e + 1) * (G + k)),
      wb: Float64Array.of(L.wb[e]!),
      ws: Float64Array.of(L.ws[e]!),
      mask: Float64Array.of(L.mask[e]!),
      symbolic: [L.symbolic[e] ?? null],
    };
    const work = ensureWork(single, 1);
    const xin = new Float64Array(1);
    return (x: number) => {
      xin[0] = x;
      return layerForward(single, xin, 1, work)[0]!;
    };
  }

  /** The edge's inputs x_i over the data and its outputs φ_ij(x_i), both sorted by x. */
  edgeSamples(
    x: Float64Array,
    batch: number,
    l: number,
    i: number,
    j: number,
  ): { x: Float64Array; y: Float64Array } {
    this.edgeIndex(l, i, j);
    const h = this.activations(x, batch)[l]!;
    const nIn = this.width[l]!;
    const xs = new Float64Array(batch);
    for (let b = 0; b < batch; b++) xs[b] = h[b * nIn + i]!;
    xs.sort();
    const f = this.edgeFunction(l, i, j);
    return { x: xs, y: xs.map(f) };
  }

  /**
   * [min, max] of the edge's input: over the data when given, else the input's grid range
   * (after a grid update from samples, that is the training data's range).
   */
  edgeRange(l: number, i: number, j: number, data?: { x: Float64Array; batch: number }): [number, number] {
    this.edgeIndex(l, i, j);
    if (!data) return gridRange(this.layers[l]!, i);
    const s = this.edgeSamples(data.x, data.batch, l, i, j).x;
    return [s[0]!, s[s.length - 1]!];
  }

  /**
   * Replace edge (l, i, j) by c·f(a·x + b) + d (pykan's fix_symbolic): its numeric part is masked
   * off and the formula stays fixed while training goes on. a, b, c, d are not fine-tuned.
   */
  fixSymbolic(
    l: number,
    i: number,
    j: number,
    fn: SymbolicFunction,
    affine = { a: 1, b: 0, c: 1, d: 0 },
  ): void {
    const e = this.edgeIndex(l, i, j);
    const L = this.layers[l]!;
    L.symbolic[e] = { ...fn, ...affine };
    L.mask[e] = 0;
  }

  /** Turn a symbolic edge back into its (kept) numeric spline. */
  unfixSymbolic(l: number, i: number, j: number): void {
    const e = this.edgeIndex(l, i, j);
    this.layers[l]!.symbolic[e] = null;
    this.layers[l]!.mask[e] = 1;
  }

  /** Plain data for JSON.stringify; Kan.fromJSON rebuilds the same model. */
  toJSON(): KanJSON {
    return layersToJSON(this.width, this.layers);
  }

  /** @param resolve finds each symbolic edge's function by name (needed only when there are some). */
  static fromJSON(json: KanJSON, resolve?: SymbolicResolver): Kan {
    return new Kan(layersFromJSON(json, resolve));
  }
}
