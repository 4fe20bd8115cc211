/**
 * Tail policies: what ψ does outside [-1, 1], so that no form explodes on unseen input.
 *   linear:   ψ(clip(z)) + s₊·relu(z − 1) − s₋·relu(−1 − z), with s± = ψ′(±1): value and
 *             slope are continuous at ±1 (C1 when the core is);
 *   constant: ψ(clip(z)), slope 0 outside;
 *   extend:   the core closed form everywhere (only forms that declare themselves extendable).
 * The linear tail is written in the same clip + relu shape as the ONNX emitter (emit.ts), so
 * TypeScript and the graph do the same arithmetic.
 */
import type { TailPolicy } from './types.js';

/** The core closed form ψ and ψ′ (no tail applied). */
export interface ScalarCore {
  value(z: number): number;
  slope(z: number): number;
}

/** ψ(±1) and ψ′(±1), computed once per entry. */
export interface TailBoundary {
  readonly vLo: number;
  readonly vHi: number;
  readonly sLo: number;
  readonly sHi: number;
}

export function tailBoundary(core: ScalarCore): TailBoundary {
  return { vLo: core.value(-1), vHi: core.value(1), sLo: core.slope(-1), sHi: core.slope(1) };
}

function clip(z: number): number {
  return Math.min(Math.max(z, -1), 1);
}

/** ψ(z) with the tail applied. */
export function tailValue(policy: TailPolicy, b: TailBoundary, core: ScalarCore, z: number): number {
  if (policy === 'extend') return core.value(z);
  const v = core.value(clip(z));
  if (policy === 'constant') return v;
  return v + b.sHi * Math.max(z - 1, 0) - b.sLo * Math.max(-1 - z, 0);
}

/** ψ′(z) with the tail applied (one-sided at ±1: the core's slope, which the linear tail matches). */
export function tailSlope(policy: TailPolicy, b: TailBoundary, core: ScalarCore, z: number): number {
  if (policy === 'extend' || (z >= -1 && z <= 1)) return core.slope(z);
  if (policy === 'constant') return 0;
  return z > 1 ? b.sHi : b.sLo;
}

/**
 * Vectorised ψ (and ψ′ when dout is given) into caller-owned buffers; allocates nothing.
 * z, out and dout must have the same length (out may alias z).
 */
export function evalTailInto(
  policy: TailPolicy,
  b: TailBoundary,
  core: ScalarCore,
  z: Float64Array,
  out: Float64Array,
  dout?: Float64Array,
): void {
  const n = z.length;
  for (let i = 0; i < n; i++) {
    const zi = z[i];
    if (dout !== undefined) dout[i] = tailSlope(policy, b, core, zi);
    out[i] = tailValue(policy, b, core, zi);
  }
}
