/**
 * Reverse-mode autodiff on a tape of whole Float64Array tensors (never one node per scalar).
 *
 * A Var holds its values, its shape and a gradient buffer of the same length. Ops compute
 * their forward result eagerly and, when any parent needs a gradient, push a backward closure
 * onto the tape. Recording order is already a topological order, so backward() just walks the
 * tape in reverse. Backward rules always accumulate (+=): a Var used twice gets both shares.
 */
import { ShapeError } from '../errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export class Var {
  readonly data: Float64Array;
  readonly shape: Shape;
  /** Gradient of the loss with respect to data; allocated only when requiresGrad. */
  grad: Float64Array | null;
  readonly requiresGrad: boolean;
  /** For debugging and error messages: the op or parameter that made this Var. */
  readonly label: string;

  constructor(data: Float64Array, shape: Shape, requiresGrad = false, label = '') {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        `${label || 'tensor'}: ${data.length} values do not fill shape [${shape.join(', ')}]`,
      );
    }
    this.data = data;
    this.shape = shape;
    this.requiresGrad = requiresGrad;
    this.grad = requiresGrad ? new Float64Array(data.length) : null;
    this.label = label;
  }

  get size(): number {
    return this.data.length;
  }

  /** A trainable leaf. */
  static param(data: Float64Array | number[], shape: Shape, label = 'param'): Var {
    return new Var(data instanceof Float64Array ? data : Float64Array.from(data), shape, true, label);
  }

  /** A constant leaf: no gradient is kept for it. */
  static constant(data: Float64Array | number[], shape: Shape, label = 'const'): Var {
    return new Var(data instanceof Float64Array ? data : Float64Array.from(data), shape, false, label);
  }

  zeroGrad(): void {
    this.grad?.fill(0);
  }
}

type Backward = () => void;

export class Tape {
  private readonly steps: Backward[] = [];

  /**
   * Make the output Var of an op. When a parent needs a gradient the output does too and
   * `backward` is recorded; it must read out.grad and add into the parents' grads.
   */
  record(
    data: Float64Array,
    shape: Shape,
    parents: readonly Var[],
    backward: (out: Var) => void,
    label: string,
  ): Var {
    const needs = parents.some((p) => p.requiresGrad);
    const out = new Var(data, shape, needs, label);
    if (needs) this.steps.push(() => backward(out));
    return out;
  }

  /** Seed d(loss)/d(loss) = 1 for a scalar loss and run every recorded rule in reverse. */
  backward(loss: Var): void {
    if (loss.size !== 1)
      throw new ShapeError(`backward() needs a scalar loss, got shape [${loss.shape.join(', ')}]`);
    this.seed(loss, 0);
  }

  /**
   * Backpropagate from one element of any tensor: afterwards every parameter's grad holds
   * d out[index] / d param (added to what it held). Used for per-output sensitivities.
   */
  seed(out: Var, index: number): void {
    if (!out.grad) return; // nothing on the tape depends on a parameter
    if (index < 0 || index >= out.size) throw new ShapeError(`seed: index ${index} outside [0, ${out.size})`);
    out.grad[index] += 1;
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!();
  }

  get length(): number {
    return this.steps.length;
  }

  /** Forget the recorded graph (intermediate Vars become garbage); parameters keep their grads. */
  reset(): void {
    this.steps.length = 0;
  }
}
