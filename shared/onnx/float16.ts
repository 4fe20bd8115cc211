/**
 * IEEE 754 binary16 (half precision) conversion, bit-exact.
 *
 * fp16 model weights are stored as FLOAT16 initializers, so the TypeScript side must produce the
 * same bits a numpy `astype(np.float16)` would: round to nearest, ties to even, with subnormals,
 * signed zeros, infinities and NaN kept. The reverse conversion is exact (every half is a float32),
 * which lets a test compute the reference a Cast(to=FLOAT) node will see.
 *
 * Layout of a half: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float16 bit pattern nearest to `value` (first rounded to float32, as a Float32Array would).
 * @example float32ToFloat16Bits(1) === 0x3c00; float32ToFloat16Bits(65520) === 0x7c00 (overflows to +inf)
 */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;

  if (exp === 0xff) {
    // Inf stays inf; NaN keeps its top payload bits and is forced quiet so it cannot become inf.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const halfExp = exp - 127 + 15;
  if (halfExp >= 0x1f) return sign | 0x7c00; // >= 2^16: beyond the largest half even after rounding
  if (halfExp <= 0) {
    // Result is a half subnormal (m * 2^-24) or zero. The float32 significand with its implicit bit
    // is shifted right by 126 - exp; beyond 24 bits of shift even the rounding cannot reach 1.
    if (exp === 0) return sign; // float32 subnormals are far below the half range
    const full = mant | 0x800000;
    const shift = 126 - exp;
    if (shift > 24) return sign;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (m & 1) === 1)) m++; // a carry into 0x400 is the smallest normal
    return sign | m;
  }
  let h = sign | (halfExp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, and past 30 gives 0x7c00 (inf), as IEEE requires.
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return h;
}

/** The float32 value of a float16 bit pattern (exact). NaN payloads are kept. */
export function float16BitsToFloat32(bits: number): number {
  const sign = (bits & 0x8000) << 16;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) {
    const magnitude = mant * 2 ** -24; // subnormal or zero, exact in float64 and float32
    return sign ? -magnitude : magnitude;
  }
  if (exp === 0x1f) {
    u32[0] = sign | 0x7f800000 | (mant << 13);
    return f32[0];
  }
  u32[0] = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  return f32[0];
}

/** Converts a whole array to float16 bit patterns. */
export function toFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

/** Converts float16 bit patterns back to float32 values. */
export function fromFloat16(bits: ArrayLike<number>): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  return out;
}

/** Rounds values through float16 and back: what a FLOAT16 weight followed by Cast(to=FLOAT) yields. */
export function roundToFloat16(values: ArrayLike<number>): Float32Array {
  return fromFloat16(toFloat16(values));
}
