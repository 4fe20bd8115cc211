/**
 * A seeded, deterministic random source: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, 128-bit state, 32-bit output) seeded through splitmix32.
 *
 * Everything under shared/numeric takes an Rng instead of calling Math.random, so a seed
 * reproduces a training run bit for bit. fork(label) derives a named stream from the seed
 * and the label only (not from how many numbers were drawn so far), so adding draws to one
 * part of a program never shifts the numbers another part sees.
 *
 * @example
 *   const rng = new Rng(42);
 *   rng.next();            // in [0, 1)
 *   rng.fork('init').normal();
 */
import { InputError } from '../errors.js';

/** splitmix32 step: a well-mixed 32-bit value from a 32-bit counter. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a label. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

export class Rng {
  /** The two 32-bit words that name this stream; fork() hashes them with a label. */
  private readonly keyLo: number;
  private readonly keyHi: number;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Box–Muller makes normals in pairs; the second waits here. */
  private spareNormal: number | null = null;

  /** @param seed an integer in [0, 2^53); the same seed always gives the same sequence. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InputError(`Rng seed must be an integer in [0, 2^53), got ${seed}`);
    }
    this.keyLo = seed >>> 0;
    this.keyHi = Math.floor(seed / TWO_POW_32) >>> 0;
    let s = splitmix32(this.keyLo ^ Math.imul(this.keyHi, 0x27d4eb2f));
    this.a = s;
    s = splitmix32(s ^ this.keyHi);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    this.d = 1; // sfc32's counter
    for (let i = 0; i < 15; i++) this.nextUint32(); // let the seed diffuse through the state
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits (every double of the form m·2^-53). */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal N(0, 1) by the Box–Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u = 1 - this.next(); // in (0, 1], so log(u) is finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n), without modulo bias; n must be a positive integer ≤ 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new InputError(`Rng.int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n); // reject the incomplete last block
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T extends unknown[] | Int32Array | Uint32Array | Float64Array>(array: T): T {
    const a = array as { [i: number]: unknown; length: number };
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return array;
  }

  /** Fill `out` with uniform values in [lo, hi); returns out. */
  fillUniform(out: Float64Array, lo: number, hi: number): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /** Fill `out` with N(mean, std²) values; returns out. */
  fillNormal(out: Float64Array, mean = 0, std = 1): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /**
   * An independent stream named by this stream's seed and `label`. Forking twice with the same
   * label gives the same stream; the parent's position does not matter and is not advanced.
   */
  fork(label: string): Rng {
    const h = hashLabel(label);
    const lo = splitmix32(this.keyLo ^ h) ^ this.keyHi;
    const hi = splitmix32(this.keyHi ^ Math.imul(h, 0x9e3779b1)) & 0x1fffff; // 21 bits: stay below 2^53
    return new Rng(hi * TWO_POW_32 + (lo >>> 0));
  }
}
