/**
 * Sequence classification from the physics streams: which surface is the robot wheel on?
 * Each split (train, val, test) is its own robot stream (physics.ts robotStream, seeded
 * separately) whose friction μ switches between surfaces every `segmentSteps` samples, every
 * surface appearing `segmentsPerClass` times in a shuffled order. A window of W samples of the
 * IMU-like columns (torque, speed, rim speed, acceleration) is labelled with its segment's
 * surface; windows that straddle a switch are left out.
 *
 * Targets are one-hot [n, classes], for trainHybrid(…, { loss: 'cross-entropy' }); inputs are
 * standardised with the training stream's statistics.
 */
import { InputError } from '../../shared/errors.js';
import { Rng } from '../../shared/numeric/rng.js';
import type { Standardizer, WindowSet } from '../train/windows.js';
import { type PhysicsStream, robotStream, type SurfaceParams } from './physics.js';

export interface Surface {
  readonly name: string;
  /** Friction coefficient μ (dimensionless). */
  readonly mu: number;
}

export const SURFACES: readonly Surface[] = Object.freeze([
  { name: 'concrete', mu: 0.8 },
  { name: 'gravel', mu: 0.3 },
  { name: 'ice', mu: 0.08 },
]);

export interface SurfaceClassOptions {
  readonly seed: number;
  /** @defaultValue SURFACES (concrete, gravel, ice) */
  readonly surfaces?: readonly Surface[];
  /** Segments of each surface per split stream. @defaultValue 4 (train), 2 (val, test) */
  readonly segmentsPerClass?: { readonly train: number; readonly val: number; readonly test: number };
  /** Samples per segment (Δt 0.05 s). @defaultValue 200 */
  readonly segmentSteps?: number;
  /** Samples per window. @defaultValue 20 */
  readonly window?: number;
  /** Samples between window starts. @defaultValue 5 */
  readonly stride?: number;
  /** Motor torque levels, N·m (held 1 s each). @defaultValue [-3, 8] */
  readonly torqueRange?: readonly [number, number];
  /** Relative Δt jitter of the sample grid, [0, 1). @defaultValue 0 */
  readonly jitter?: number;
}

export interface ClassifyData {
  readonly train: WindowSet;
  readonly val: WindowSet;
  readonly test: WindowSet;
  /** Class names in one-hot column order. */
  readonly classes: readonly string[];
  /** Per input column, from the training stream. */
  readonly inputScaling: Standardizer;
  /** The three simulated streams (for plots and checks). */
  readonly streams: {
    readonly train: PhysicsStream<SurfaceParams>;
    readonly val: PhysicsStream<SurfaceParams>;
    readonly test: PhysicsStream<SurfaceParams>;
  };
}

function stream(
  o: SurfaceClassOptions,
  surfaces: readonly Surface[],
  perClass: number,
  seed: number,
  label: string,
) {
  const segSteps = o.segmentSteps ?? 200;
  const order: number[] = [];
  for (let r = 0; r < perClass; r++) order.push(...surfaces.map((_, c) => c));
  new Rng(seed).fork(`order-${label}`).shuffle(order);
  const segments = order.map((c, j) => ({ start: j * segSteps, mu: surfaces[c]!.mu }));
  const s = robotStream({
    seed: new Rng(seed).fork(`stream-${label}`).nextUint32(),
    steps: order.length * segSteps,
    jitter: o.jitter ?? 0,
    segments,
    torqueRange: o.torqueRange ?? [-3, 8],
  });
  return { s, order, segSteps };
}

function windows(
  st: ReturnType<typeof stream>,
  C: number,
  W: number,
  stride: number,
  scaling: Standardizer,
): WindowSet {
  const { s, order, segSteps } = st;
  const cols = s.columns.length;
  const starts: number[] = [];
  for (let j = 0; j < order.length; j++) {
    for (let a = j * segSteps; a + W <= (j + 1) * segSteps; a += stride) starts.push(a);
  }
  const n = starts.length;
  const x = new Float64Array(n * W * cols);
  const y = new Float64Array(n * C);
  starts.forEach((a, k) => {
    for (let t = 0; t < W; t++) {
      for (let c = 0; c < cols; c++) {
        x[(k * W + t) * cols + c] = (s.series[(a + t) * cols + c]! - scaling.mean[c]!) / scaling.std[c]!;
      }
    }
    y[k * C + order[Math.floor(a / segSteps)]!] = 1;
  });
  return { x, y, last: new Float64Array(n), n, window: W, inputs: cols, outputs: C };
}

/** Per-column mean and standard deviation of a stream's rows. */
function standardizer(s: PhysicsStream<object>): Standardizer {
  const cols = s.columns.length;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < cols; c++) {
    let m = 0;
    for (let r = 0; r < s.rows; r++) m += s.series[r * cols + c]!;
    m /= s.rows;
    let q = 0;
    for (let r = 0; r < s.rows; r++) q += (s.series[r * cols + c]! - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(q / s.rows) || 1);
  }
  return { mean, std };
}

/** Surface classification windows: x [n, W, 4] standardised, y one-hot [n, surfaces]. */
export function surfaceClassification(o: SurfaceClassOptions): ClassifyData {
  const surfaces = o.surfaces ?? SURFACES;
  const W = o.window ?? 20;
  const stride = o.stride ?? 5;
  const segSteps = o.segmentSteps ?? 200;
  if (surfaces.length < 2) throw new InputError('surfaceClassification: needs at least two surfaces');
  if (!(Number.isInteger(W) && Number.isInteger(stride) && W >= 2 && stride >= 1 && W <= segSteps)) {
    throw new InputError(
      `surfaceClassification: window ${W} and stride ${stride} must be integers with 2 ≤ window ≤ segmentSteps ${segSteps}`,
    );
  }
  const per = o.segmentsPerClass ?? { train: 4, val: 2, test: 2 };
  const tr = stream(o, surfaces, per.train, o.seed, 'train');
  const va = stream(o, surfaces, per.val, o.seed, 'val');
  const te = stream(o, surfaces, per.test, o.seed, 'test');
  const scaling = standardizer(tr.s);
  const C = surfaces.length;
  return {
    train: windows(tr, C, W, stride, scaling),
    val: windows(va, C, W, stride, scaling),
    test: windows(te, C, W, stride, scaling),
    classes: surfaces.map((s) => s.name),
    inputScaling: scaling,
    streams: { train: tr.s, val: va.s, test: te.s },
  };
}
