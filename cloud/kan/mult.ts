/**
 * Multiplication nodes (pykan 2's MultKAN): a layer whose output node layer holds `mult`
 * product nodes computes nOut = nAdd + 2·mult sub-node sums, and each product node is the
 * product of one pair of them. pykan writes such a width as [2, [0, 1], 1]; here that is
 * width [2, 1, 1] with mult [0, 1, 0] (mult[l] of node layer l's width[l] nodes are products,
 * placed after its nAdd = width[l] − mult[l] sum nodes).
 *
 * Sub-node layout of a layer's output [batch, nOut]:
 *   sub j < nAdd                 → node j (a plain sum)
 *   sub nAdd + 2m, nAdd + 2m + 1 → node nAdd + m = their product
 *
 * Why products: a sum of one-variable functions expresses x·y only as a difference of squares
 * spread over two nodes, whose inner edges need not come out exactly linear; a product node
 * expresses it with two linear edges, which snap (see cloud/discovery/product.ts).
 */

/** Node count of a layer output with nOut sub-nodes and `mult` product nodes. */
export function nodesOf(nOut: number, mult: number): number {
  return nOut - mult;
}

/** The node that sub-node j feeds, in a layer output of nOut sub-nodes and `mult` products. */
export function nodeOfSub(j: number, nOut: number, mult: number): number {
  const nAdd = nOut - 2 * mult;
  return j < nAdd ? j : nAdd + Math.floor((j - nAdd) / 2);
}

/**
 * Node values from sub-node values.
 * @param sub   [batch, nOut]
 * @param nodes [batch, nOut − mult], overwritten
 */
export function multForward(
  sub: Float64Array,
  batch: number,
  nOut: number,
  mult: number,
  nodes: Float64Array,
): Float64Array {
  const nAdd = nOut - 2 * mult;
  const nNodes = nOut - mult;
  for (let b = 0; b < batch; b++) {
    const so = b * nOut;
    const no = b * nNodes;
    for (let j = 0; j < nAdd; j++) nodes[no + j] = sub[so + j]!;
    for (let m = 0; m < mult; m++)
      nodes[no + nAdd + m] = sub[so + nAdd + 2 * m]! * sub[so + nAdd + 2 * m + 1]!;
  }
  return nodes;
}

/**
 * ∂L/∂sub from ∂L/∂nodes (the product rule on each pair).
 * @param gNodes [batch, nOut − mult]
 * @param gSub   [batch, nOut], overwritten
 */
export function multBackward(
  sub: Float64Array,
  gNodes: Float64Array,
  batch: number,
  nOut: number,
  mult: number,
  gSub: Float64Array,
): Float64Array {
  const nAdd = nOut - 2 * mult;
  const nNodes = nOut - mult;
  for (let b = 0; b < batch; b++) {
    const so = b * nOut;
    const no = b * nNodes;
    for (let j = 0; j < nAdd; j++) gSub[so + j] = gNodes[no + j]!;
    for (let m = 0; m < mult; m++) {
      const g = gNodes[no + nAdd + m]!;
      const p = so + nAdd + 2 * m;
      gSub[p] = g * sub[p + 1]!;
      gSub[p + 1] = g * sub[p]!;
    }
  }
  return gSub;
}

/** pykan's width notation: [2,[0,1],1] for a node layer with 0 sum nodes and 1 product node. */
export function widthText(width: readonly number[], mult: readonly number[]): string {
  const layer = (n: number, l: number) => {
    const m = mult[l] ?? 0;
    return m > 0 ? `[${n - m},${m}]` : `${n}`;
  };
  return `[${width.map(layer).join(',')}]`;
}
