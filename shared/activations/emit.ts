/**
 * ONNX emission of a whole activation layer: y = c·ψ(a·x + b) + d, tail included.
 *   extend (classic/symbolic): the two affines fold into one, C·f(A·x + B) + D, so a tanh
 *     layer costs at most Mul, Add, Tanh, Mul, Add (a Mul by 1 or an Add of 0 is skipped);
 *   extend (other forms): z = a·x + b, ψ(z), then c·ψ + d;
 *   constant: ψ(Clip(z, −1, 1));
 *   linear:   ψ(Clip(z, −1, 1)) + s₊·Relu(z − 1) − s₋·Relu(−1 − z).
 * compile.ts performs the same arithmetic in the same order, so float32 outputs agree with the
 * TypeScript evaluation to rounding.
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { compileActivation, entryPrimitive } from './compile.js';
import type { ActivationEntry } from './entry.js';
import { type AffinePrimitiveParams, emitScaledPrimitive, foldAffine } from './forms/affine-primitive.js';
import { formModule } from './forms/index.js';
import type { Affine } from './types.js';

/** Emit y = c·ψ(a·x + b) + d for the tensor named `input`; returns the output tensor's name. */
export function emitActivation(
  g: GraphBuilder,
  input: string,
  entry: ActivationEntry,
  affine: Affine,
): string {
  const prim = entry.tail === 'extend' ? entryPrimitive(entry) : null;
  let y: string;
  if (prim !== null) {
    y = emitScaledPrimitive(g, input, prim, foldAffine(entry.params as AffinePrimitiveParams, affine));
  } else {
    let z = input;
    if (affine.a !== 1) z = g.node('Mul', [z, g.scalar(affine.a)]);
    if (affine.b !== 0) z = g.node('Add', [z, g.scalar(affine.b)]);
    y = emitCoreWithTail(g, z, entry);
    if (affine.c !== 1) y = g.node('Mul', [y, g.scalar(affine.c)]);
    if (affine.d !== 0) y = g.node('Add', [y, g.scalar(affine.d)]);
  }
  // A graph output must be produced by a node, even for the identity with the identity affine.
  return y === input ? g.node('Identity', [input]) : y;
}

/** Emit ψ(z) with the entry's tail policy (no layer affine). */
export function emitCoreWithTail(g: GraphBuilder, z: string, entry: ActivationEntry): string {
  const form = formModule(entry.form);
  if (entry.tail === 'extend') return form.emitOnnx(g, z, entry.params);
  const clipped = g.node('Clip', [z, g.scalar(-1), g.scalar(1)]);
  let y = form.emitOnnx(g, clipped, entry.params);
  if (entry.tail === 'linear') {
    const { sLo, sHi } = compileActivation(entry).boundary;
    if (sHi !== 0) {
      const over = g.node('Relu', [g.node('Sub', [z, g.scalar(1)])]);
      y = g.node('Add', [y, g.node('Mul', [over, g.scalar(sHi)])]);
    }
    if (sLo !== 0) {
      const under = g.node('Relu', [g.node('Sub', [g.scalar(-1), z])]);
      y = g.node('Sub', [y, g.node('Mul', [under, g.scalar(sLo)])]);
    }
  }
  return y;
}
