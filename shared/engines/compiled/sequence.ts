/**
 * Sequence kernels: one layer of a liquid hybrid over a whole buffer of rows at once, generated
 * like the compiled engine's step (weights in Float32Array, the entry's constants and the layer's
 * sizes written into the source, the activation inlined, nothing allocated per call). On-device
 * selection scores every candidate through them (device/select/compiled-forward.ts).
 *
 * Rows are time-major, r = t·N + n: N streams step together. Every stored value is a float32
 * (weights rounded once, each result through Math.fround as the compiled engine rounds each
 * tensor), held in Float64Array so that V8 loads it without a conversion: results are the
 * engine's float32 up to the order of sums, and differ from the float64 reference by rounding.
 *
 *   dense drive   Y[r, o] = Σ_c X[r, c]·W[o, c] + b[o]
 *   activation    out[i] = c·ψ(a·u[i] + b) + d                       (ψ: one library entry)
 *   liquid        u = drive[r] + W·x_n,  x_n ← e·x_n + τ(1 − e)·φ(u),  e = exp(−Δt_r/τ)
 */
import type { ActivationEntry } from '../../activations/entry.js';
import { activationSource } from './activation.js';
import { tanhF32 } from './fast-math.js';

/** Y [rows, units] = X [rows, inWidth]·Wᵀ + b. */
export type DriveKernel = (X: Float64Array, rows: number, Y: Float64Array) => void;
/** out[i] = c·ψ(a·u[i] + b) + d over u's length (a layer's rows, or one step of a liquid layer's streams). */
export type ActivationKernel = (
  u: Float64Array,
  out: Float64Array,
  a: number,
  b: number,
  c: number,
  d: number,
) => void;
/**
 * A liquid layer over every row: drive [R, H] (its input's part, U·h + b), dt [R], init [N, H]
 * (each stream's starting state; null: zero) → out [R, H], the state after each row (out may be
 * init); φ is `act` with the layer affine (a, b, c, d), called once per step over the N streams'
 * [N, H]; pre [R, H], when given, gets the pre-activations W·x + drive.
 */
export type LiquidKernel = (
  drive: Float64Array,
  dt: Float64Array,
  init: Float64Array | null,
  out: Float64Array,
  act: ActivationKernel,
  a: number,
  b: number,
  c: number,
  d: number,
  pre?: Float64Array | null,
) => void;

const f32 = (v: Float64Array) => v.map(Math.fround);

/**
 * Factories by source text. A kernel is a closure made by its factory; closures of one factory
 * share V8's feedback and optimised code, so the next selection (the same layer sizes, the same
 * entries) starts on kernels that are already optimised instead of interpreting its first
 * candidates. The sources depend on sizes and entries only, so the cache stays small.
 */
const factories = new Map<string, (...closed: unknown[]) => unknown>();
function factory<F>(params: readonly string[], source: string): (...closed: never[]) => F {
  const key = `${params.join(',')}\n${source}`;
  let made = factories.get(key);
  if (!made) {
    made = new Function(...params, source) as (...closed: unknown[]) => unknown;
    factories.set(key, made);
  }
  return made as (...closed: never[]) => F;
}

/**
 * Source of a block product: for rows (p, p+1) of X (offsets xa, xb) and weight rows (i, i+1) of
 * M (offsets ma, mb), K terms each, the four sums s00 (p, i), s01 (p, i+1), s10, s11; two rows
 * and two weight rows at a time share every load (the compiled engine's Gemm, blocked).
 */
function block2x2(X: string, xa: string, xb: string, M: string, ma: string, mb: string, K: number): string[] {
  return [
    'let s00 = 0, s01 = 0, s10 = 0, s11 = 0;',
    `for (let k = 0; k < ${K}; k++) {`,
    `const u = ${X}[${xa} + k], v = ${X}[${xb} + k], w0 = ${M}[${ma} + k], w1 = ${M}[${mb} + k];`,
    's00 += w0 * u; s01 += w1 * u; s10 += w0 * v; s11 += w1 * v;',
    '}',
  ];
}

/**
 * for (p of rows) for (i of outs): body(p, i, sum), blocked two by two; the odd row and odd output
 * reuse the block with the same row or weight row twice (a few wasted products, one code path).
 */
function blockedLoops(
  rows: string,
  outs: number,
  X: string,
  xOff: (p: string) => string,
  M: string,
  K: number,
  store: (p: string, i: string, sum: string) => string,
): string[] {
  return [
    `for (let p = 0; p < ${rows}; p += 2) {`,
    `const q = p + 1 < ${rows} ? p + 1 : p;`,
    `const xa = ${xOff('p')}, xb = ${xOff('q')};`,
    `for (let i = 0; i < ${outs}; i += 2) {`,
    `const j = i + 1 < ${outs} ? i + 1 : i;`,
    ...block2x2(X, 'xa', 'xb', M, `i * ${K}`, `j * ${K}`, K),
    store('p', 'i', 's00'),
    store('p', 'j', 's01'),
    store('q', 'i', 's10'),
    store('q', 'j', 's11'),
    '}',
    '}',
  ];
}

/** The drive of a layer with weights W [units, inWidth] and bias b [units]. */
export function compileDrive(W: Float64Array, b: Float64Array, inWidth: number, units: number): DriveKernel {
  const source = [
    '"use strict";',
    'return function drive(X, rows, Y) {',
    ...blockedLoops(
      'rows',
      units,
      'X',
      (p) => `${p} * ${inWidth}`,
      'W',
      inWidth,
      (p, i, sum) => `Y[${p} * ${units} + ${i}] = Math.fround(${sum} + B[${i}]);`,
    ),
    '};',
  ].join('\n');
  const make = factory<DriveKernel>(['W', 'B'], source) as (w: Float64Array, b: Float64Array) => DriveKernel;
  return make(f32(W), f32(b));
}

/** The activation of `entry` as a generated loop (compileAffineKernel's, rounded to float32). */
export function compileActivationKernel(entry: ActivationEntry): ActivationKernel {
  const src = activationSource(entry, 'u[i]');
  const source = [
    '"use strict";',
    // the primitive f is not in the text: name it, so entries calling different ones never share a factory
    `// ${entry.form === 'classic' || entry.form === 'symbolic' ? JSON.stringify(entry.params) : entry.form}`,
    'return function activation(u, out, a, b, c, d) {',
    ...src.hoisted,
    'const n = u.length;',
    'for (let i = 0; i < n; i++) {',
    ...src.lines,
    `out[i] = Math.fround(${src.value});`,
    '}',
    '};',
  ].join('\n');
  const make = factory<ActivationKernel>(['f'], source) as (f: (u: number) => number) => ActivationKernel;
  // tanh through onnxruntime's float32 rational (fast-math.ts), four times cheaper than Math.tanh
  return make(src.f === Math.tanh ? tanhF32 : src.f);
}

export interface LiquidShape {
  /** Recurrent weights [H, H] and time constants [H] (read at every call: τ may change). */
  readonly W: Float64Array;
  readonly tau: Float64Array;
  /** Streams stepping together. */
  readonly streams: number;
}

/**
 * A liquid layer over a buffer. One function per layer (its sizes and weights written in) serves
 * every candidate: the activation is an ActivationKernel called once per step over the N
 * streams, so the recurrence, where the time goes, is compiled and optimised once, not once per
 * entry.
 */
export function compileLiquid(shape: LiquidShape): LiquidKernel {
  const H = shape.tau.length;
  const N = shape.streams;
  const source = [
    '"use strict";',
    `const x = new Float64Array(${N * H});`,
    `const PRE = new Float64Array(${N * H});`,
    `const PHI = new Float64Array(${N * H});`,
    `const E = new Float64Array(${N * H});`,
    `const G = new Float64Array(${N * H});`,
    `const DT = new Float64Array(${N}).fill(NaN);`,
    'return function liquid(drive, dt, init, out, act, a, b, c, d, pre) {',
    'if (init) x.set(init); else x.fill(0);',
    'DT.fill(NaN);',
    `const steps = dt.length / ${N};`,
    'for (let t = 0; t < steps; t++) {',
    `const o = t * ${N * H};`,
    // Δt is usually the same on every row: a stream's decays are recomputed only when it changes
    `for (let n = 0; n < ${N}; n++) {`,
    `const dv = dt[t * ${N} + n];`,
    `if (dv !== DT[n]) { DT[n] = dv; for (let i = 0; i < ${H}; i++) { const e = Math.exp(-dv / TAU[i]); E[n * ${H} + i] = e; G[n * ${H} + i] = TAU[i] * (1 - e); } }`,
    '}',
    ...blockedLoops(
      String(N),
      H,
      'x',
      (p) => `${p} * ${H}`,
      'W',
      H,
      (p, i, sum) => `PRE[${p} * ${H} + ${i}] = Math.fround(drive[o + ${p} * ${H} + ${i}] + ${sum});`,
    ),
    'if (pre) pre.set(PRE, o);',
    'act(PRE, PHI, a, b, c, d);',
    `for (let m = 0; m < ${N * H}; m++) { const v = Math.fround(E[m] * x[m] + G[m] * PHI[m]); x[m] = v; out[o + m] = v; }`,
    '}',
    '};',
  ].join('\n');
  const make = factory<LiquidKernel>(['W', 'TAU'], source) as (
    w: Float64Array,
    tau: Float64Array,
  ) => LiquidKernel;
  return make(f32(shape.W), shape.tau);
}
