/**
 * The device's recent history for on-device selection: a bounded ring of (input, target, Δt)
 * rows, oldest overwritten first. Forecasting labels come free later (the target of step t is
 * known at t + H: push the row with a null target, then labelAgo(H, target)); classification
 * rows carry their label when it exists and null when the event was unlabelled.
 *
 * sequences() cuts the rows, in time order, into a fitting part and a held-out part (the most
 * recent ~25%) and lays both out as a few long streams for a batched ReferenceRunner:
 *
 *   x [T, N, inputs]   dt [T, N]   y [T, N, outputs]   role [T, N]
 *
 * Each stream is a contiguous run of rows preceded by `warmup` earlier rows that only settle the
 * liquid state (role 0, never scored). Streams shorter than T are padded at the end (role 0).
 */
import { InputError, ShapeError } from '../../shared/errors.js';

/** role[t, n]: warm-up, padding or unlabelled (0), fitting (1), held-out (2). */
export const ROLE_SKIP = 0;
export const ROLE_FIT = 1;
export const ROLE_HELD_OUT = 2;

export interface SequenceSet {
  /** N, the number of streams. */
  readonly streams: number;
  /** T, steps per stream (the longest stream; shorter ones are padded). */
  readonly steps: number;
  readonly inputs: number;
  readonly outputs: number;
  /** Raw inputs, [T, N, inputs]. */
  readonly x: Float64Array;
  /** [T, N] */
  readonly dt: Float64Array;
  /** Raw targets, [T, N, outputs] (0 where there is none). */
  readonly y: Float64Array;
  /** [T, N]: ROLE_SKIP, ROLE_FIT or ROLE_HELD_OUT. */
  readonly role: Uint8Array;
  /** Buffer row (0 = oldest) at which each stream starts, [N]. */
  readonly begins: Int32Array;
  /** Labelled rows scored in each part. */
  readonly fitRows: number;
  readonly heldOutRows: number;
}

export interface SplitOptions {
  /** Fraction of the rows, the most recent, held out for scoring. @defaultValue 0.25 */
  readonly heldOutFraction: number;
  /** Streams to cut the buffer into (both parts together). @defaultValue 4 */
  readonly streams: number;
  /**
   * Rows run before each stream's scored part to settle the liquid state.
   * @defaultValue 24 here; selectOnDevice derives it from the model's slowest τ (see warmupFor)
   */
  readonly warmup: number;
}

export const SPLIT_DEFAULTS: Readonly<SplitOptions> = Object.freeze({
  heldOutFraction: 0.25,
  streams: 4,
  warmup: 24,
});

export class SampleBuffer {
  readonly capacity: number;
  readonly inputs: number;
  readonly outputs: number;
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private readonly has: Uint8Array;
  private readonly dts: Float64Array;
  /** Index of the next write. */
  private head = 0;
  private count = 0;

  constructor(capacity: number, inputs: number, outputs: number) {
    for (const [k, v] of [
      ['capacity', capacity],
      ['inputs', inputs],
      ['outputs', outputs],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new InputError(`SampleBuffer: ${k} must be a positive integer, got ${v}`);
    }
    this.capacity = capacity;
    this.inputs = inputs;
    this.outputs = outputs;
    this.xs = new Float64Array(capacity * inputs);
    this.ys = new Float64Array(capacity * outputs);
    this.has = new Uint8Array(capacity);
    this.dts = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Rows that carry a target. */
  get labelled(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) n += this.has[this.slot(i)]!;
    return n;
  }

  /** Every row in time order: x [size, inputs], dt [size]. */
  history(): { x: Float64Array; dt: Float64Array } {
    const x = new Float64Array(this.count * this.inputs);
    const dt = new Float64Array(this.count);
    for (let i = 0; i < this.count; i++) {
      const s = this.slot(i);
      x.set(this.xs.subarray(s * this.inputs, (s + 1) * this.inputs), i * this.inputs);
      dt[i] = this.dts[s]!;
    }
    return { x, dt };
  }

  /** Median Δt of the rows held (1 when empty). */
  medianDt(): number {
    if (this.count === 0) return 1;
    const d = Float64Array.from({ length: this.count }, (_, i) => this.dts[this.slot(i)]!).sort();
    return d[this.count >> 1]!;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.has.fill(0);
  }

  /** Row r in time order (0 = oldest): views into the buffer, valid until the next push. */
  row(r: number): { x: Float64Array; y: Float64Array | null; dt: number } {
    const s = this.slot(r);
    return {
      x: this.xs.subarray(s * this.inputs, (s + 1) * this.inputs),
      y: this.has[s] ? this.ys.subarray(s * this.outputs, (s + 1) * this.outputs) : null,
      dt: this.dts[s]!,
    };
  }

  /** Append one row; the oldest row is dropped when the buffer is full. */
  push(input: Float64Array, target: Float64Array | null, dt: number): void {
    if (input.length !== this.inputs) {
      throw new ShapeError(`SampleBuffer.push: input has ${input.length} values, expected ${this.inputs}`);
    }
    if (!(dt > 0) || !Number.isFinite(dt))
      throw new InputError(`SampleBuffer.push: dt must be > 0, got ${dt}`);
    const s = this.head;
    this.xs.set(input, s * this.inputs);
    this.dts[s] = dt;
    this.has[s] = 0;
    this.head = (s + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
    if (target) this.labelAgo(0, target);
  }

  /**
   * Give a target to the row pushed `stepsAgo` pushes before the latest (0 = the latest), e.g.
   * a forecast's horizon H once the value it predicted has been observed.
   */
  labelAgo(stepsAgo: number, target: Float64Array): void {
    if (target.length !== this.outputs) {
      throw new ShapeError(`SampleBuffer: target has ${target.length} values, expected ${this.outputs}`);
    }
    if (!Number.isInteger(stepsAgo) || stepsAgo < 0 || stepsAgo >= this.count) {
      throw new InputError(`SampleBuffer.labelAgo: no row ${stepsAgo} steps ago (${this.count} rows held)`);
    }
    const s = this.slot(this.count - 1 - stepsAgo);
    this.ys.set(target, s * this.outputs);
    this.has[s] = 1;
  }

  /** Ring slot of the i-th oldest row. */
  private slot(i: number): number {
    return (this.head - this.count + i + this.capacity) % this.capacity;
  }

  /** The rows as fitting and held-out streams (see the file header). */
  sequences(options: Partial<SplitOptions> = {}): SequenceSet {
    const o = { ...SPLIT_DEFAULTS, ...options };
    if (!(o.heldOutFraction > 0 && o.heldOutFraction < 1)) {
      throw new InputError(`heldOutFraction must be in (0, 1), got ${o.heldOutFraction}`);
    }
    const n = this.count;
    const heldOut = Math.max(1, Math.round(n * o.heldOutFraction));
    const fitEnd = Math.max(0, n - heldOut);
    const chunk = Math.max(1, Math.ceil(n / Math.max(1, o.streams)));
    const cuts: [number, number, number][] = []; // [begin, scoreFrom, end]
    const part = (from: number, to: number) => {
      if (to <= from) return;
      const k = Math.max(1, Math.round((to - from) / chunk));
      for (let j = 0; j < k; j++) {
        const s = from + Math.floor(((to - from) * j) / k);
        const e = from + Math.floor(((to - from) * (j + 1)) / k);
        const begin = Math.max(0, s - o.warmup);
        cuts.push([begin, Math.max(s, begin + o.warmup), e]);
      }
    };
    part(0, fitEnd);
    part(fitEnd, n);
    const N = cuts.length;
    const T = cuts.reduce((m, c) => Math.max(m, c[2] - c[0]), 0);
    const x = new Float64Array(T * N * this.inputs);
    const dt = new Float64Array(T * N);
    const y = new Float64Array(T * N * this.outputs);
    const role = new Uint8Array(T * N);
    let fitRows = 0;
    let heldOutRows = 0;
    cuts.forEach(([begin, scoreFrom, end], k) => {
      for (let t = 0; t < T; t++) {
        const r = begin + t;
        const cell = t * N + k;
        if (r >= end) {
          dt[cell] = dt[cell - N]!; // padding: repeat the last Δt, inputs stay 0
          continue;
        }
        const s = this.slot(r);
        x.set(this.xs.subarray(s * this.inputs, (s + 1) * this.inputs), cell * this.inputs);
        dt[cell] = this.dts[s]!;
        if (r < scoreFrom || !this.has[s]) continue;
        y.set(this.ys.subarray(s * this.outputs, (s + 1) * this.outputs), cell * this.outputs);
        const held = r >= fitEnd;
        role[cell] = held ? ROLE_HELD_OUT : ROLE_FIT;
        if (held) heldOutRows++;
        else fitRows++;
      }
    });
    return {
      streams: N,
      steps: T,
      inputs: this.inputs,
      outputs: this.outputs,
      x,
      dt,
      y,
      role,
      begins: Int32Array.from(cuts, (c) => c[0]),
      fitRows,
      heldOutRows,
    };
  }
}
