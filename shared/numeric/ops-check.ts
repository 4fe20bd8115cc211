/**
 * Shape checks shared by the ops. Each throws a ShapeError that names the op and the shapes
 * involved, so a mismatch deep inside a model says which op and which operands.
 */
import { ShapeError } from '../errors.js';
import type { Shape, Var } from './tape.js';

export function fmtShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Both operands of an elementwise op must have identical shapes (no implicit broadcasting). */
export function assertSameShape(op: string, a: Var, b: Var): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  }
}

/** The Var must be a matrix [rows, cols]; returns [rows, cols]. */
export function assertMatrix(op: string, x: Var, name = 'input'): [number, number] {
  if (x.shape.length !== 2) throw new ShapeError(`${op}: ${name} must be 2-D, got ${fmtShape(x.shape)}`);
  return [x.shape[0]!, x.shape[1]!];
}

/** Split a shape into (rows, cols) around its last axis: [..., n] → (product of the rest, n). */
export function lastAxis(op: string, x: Var): [number, number] {
  if (x.shape.length === 0) throw new ShapeError(`${op}: needs at least 1-D input, got a scalar`);
  const n = x.shape[x.shape.length - 1]!;
  return [n === 0 ? 0 : x.size / n, n];
}
