/**
 * KAN ⇄ plain JSON data (the get_config/from_config idea of ncps's wirings): everything needed
 * to rebuild the model exactly. Symbolic edges are stored by name and affine parameters; the
 * function itself comes back through a resolver, since code does not serialise.
 */
import { SchemaError } from '../../shared/errors.js';
import type { KanLayer } from './layer.js';
import type { SymbolicEdge, SymbolicFunction } from './symbolic.js';

export interface KanLayerJSON {
  readonly nIn: number;
  readonly nOut: number;
  readonly G: number;
  readonly k: number;
  /** [nIn, G + 2k + 1] row-major. */
  readonly knots: number[];
  /** [nIn·nOut, G + k] row-major. */
  readonly coef: number[];
  readonly wb: number[];
  readonly ws: number[];
  readonly mask: number[];
  /** Fixed edges, by edge index e = i·nOut + j. */
  readonly symbolic: { e: number; name: string; a: number; b: number; c: number; d: number }[];
  /** Product nodes fed by the last 2·mult outputs (absent = 0; see mult.ts). */
  readonly mult?: number;
}

export interface KanJSON {
  readonly format: 'liquidkan.kan';
  readonly version: 1;
  readonly width: number[];
  readonly layers: KanLayerJSON[];
}

/** Looks up a symbolic function by the name stored in the JSON. */
export type SymbolicResolver = (name: string) => SymbolicFunction | undefined;

export function layersToJSON(width: readonly number[], layers: readonly KanLayer[]): KanJSON {
  return {
    format: 'liquidkan.kan',
    version: 1,
    width: [...width],
    layers: layers.map((L) => ({
      nIn: L.nIn,
      nOut: L.nOut,
      G: L.grid.G,
      k: L.grid.k,
      knots: [...L.grid.knots],
      coef: [...L.coef],
      wb: [...L.wb],
      ws: [...L.ws],
      mask: [...L.mask],
      symbolic: L.symbolic.flatMap((s, e) =>
        s ? [{ e, name: s.name, a: s.a, b: s.b, c: s.c, d: s.d }] : [],
      ),
      ...(L.mult ? { mult: L.mult } : {}),
    })),
  };
}

function checkLength(field: string, got: number, want: number): void {
  if (got !== want) throw new SchemaError('kan.json', field, `holds ${got} values, expected ${want}`);
}

export function layersFromJSON(json: KanJSON, resolve?: SymbolicResolver): KanLayer[] {
  if (json?.format !== 'liquidkan.kan' || json.version !== 1) {
    throw new SchemaError('kan.json', 'format', `expected format 'liquidkan.kan' version 1`);
  }
  return json.layers.map((L, l) => {
    const nE = L.nIn * L.nOut;
    checkLength(`layers[${l}].knots`, L.knots.length, L.nIn * (L.G + 2 * L.k + 1));
    checkLength(`layers[${l}].coef`, L.coef.length, nE * (L.G + L.k));
    for (const f of ['wb', 'ws', 'mask'] as const) checkLength(`layers[${l}].${f}`, L[f].length, nE);
    const symbolic = new Array<SymbolicEdge | null>(nE).fill(null);
    for (const s of L.symbolic) {
      const fn = resolve?.(s.name);
      if (!fn) {
        throw new SchemaError(
          'kan.json',
          `layers[${l}].symbolic`,
          `no function named '${s.name}' (pass a resolver)`,
        );
      }
      symbolic[s.e] = { ...fn, a: s.a, b: s.b, c: s.c, d: s.d };
    }
    return {
      nIn: L.nIn,
      nOut: L.nOut,
      grid: { knots: Float64Array.from(L.knots), nIn: L.nIn, G: L.G, k: L.k },
      coef: Float64Array.from(L.coef),
      wb: Float64Array.from(L.wb),
      ws: Float64Array.from(L.ws),
      mask: Float64Array.from(L.mask),
      symbolic,
      ...(L.mult ? { mult: L.mult } : {}),
    };
  });
}
