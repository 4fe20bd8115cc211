/**
 * The contract every ONNX emitter writes against (activation forms, model layers).
 * An emitter receives tensor names and returns the name of the tensor it produced; it never
 * touches protobuf. Attribute values carry their ONNX type explicitly so that 1 and 1.0 can
 * never be confused (an int attribute where a float is expected fails the checker).
 */

export type Attr =
  | { readonly f: number }
  | { readonly i: number }
  | { readonly s: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly number[] }
  | { readonly graph: SubgraphHandle };

/** An opaque handle for a finished subgraph (for Scan bodies), made by the concrete builder. */
export interface SubgraphHandle {
  readonly kind: 'subgraph';
}

export interface GraphBuilder {
  /**
   * A float32 constant (an initializer). dims [] makes a scalar that broadcasts.
   * Identical small constants may be shared; the returned name is what to use.
   */
  constant(values: ArrayLike<number>, dims: readonly number[], hint?: string): string;
  /** Shorthand for constant([value], []). */
  scalar(value: number): string;
  /** Add one node with a single output; returns the output's name. */
  node(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, Attr>>, hint?: string): string;
  /** Add one node with several outputs; returns their names in order. */
  nodeMulti(
    op: string,
    inputs: readonly string[],
    outputCount: number,
    attrs?: Readonly<Record<string, Attr>>,
    hint?: string,
  ): string[];
}
