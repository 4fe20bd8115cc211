import { describe, expect, it } from 'vitest';
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  fromFloat16,
  roundToFloat16,
  toFloat16,
} from '../../../shared/onnx/float16.js';

/** Known binary16 encodings (IEEE 754-2008 tables). */
const KNOWN: [number, number][] = [
  [0, 0x0000],
  [-0, 0x8000],
  [1, 0x3c00],
  [-2, 0xc000],
  [0.5, 0x3800],
  [65504, 0x7bff], // largest finite half
  [2 ** -14, 0x0400], // smallest normal
  [2 ** -24, 0x0001], // smallest subnormal
  [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal
  [1 / 3, 0x3555],
  [Math.PI, 0x4248],
  [Number.POSITIVE_INFINITY, 0x7c00],
  [Number.NEGATIVE_INFINITY, 0xfc00],
];

describe('float16 conversion', () => {
  it('encodes known values to their exact bit patterns and decodes them back', () => {
    for (const [value, bits] of KNOWN) {
      expect(float32ToFloat16Bits(value), `encode ${value}`).toBe(bits);
    }
    for (const [value, bits] of KNOWN.filter(([v]) => v !== 1 / 3 && v !== Math.PI)) {
      expect(Object.is(float16BitsToFloat32(bits), value), `decode 0x${bits.toString(16)}`).toBe(true);
    }
  });

  it('rounds to nearest with ties to even', () => {
    // 1 + 2^-11 lies halfway between 1 (even mantissa) and 1 + 2^-10: goes down.
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): goes up.
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // Just above a tie rounds up.
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    // Halfway between 65504 and 65536 rounds to even, which overflows to infinity.
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00);
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff);
  });

  it('handles subnormals, underflow and the subnormal-to-normal carry', () => {
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000); // tie between 0 and 2^-24 → even (0)
    expect(float32ToFloat16Bits(-(2 ** -25) * 1.5)).toBe(0x8001);
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0x0000);
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002); // 1.5 ulp, tie → even (2)
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the first normal
    expect(float32ToFloat16Bits(1e-40)).toBe(0x0000); // float32 subnormal
    expect(float16BitsToFloat32(0x0001)).toBe(2 ** -24);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('keeps NaN a NaN in both directions', () => {
    const bits = float32ToFloat16Bits(Number.NaN);
    expect(bits & 0x7c00).toBe(0x7c00);
    expect(bits & 0x03ff).not.toBe(0);
    expect(Number.isNaN(float16BitsToFloat32(0x7e00))).toBe(true);
    expect(Number.isNaN(float16BitsToFloat32(0xfc01))).toBe(true);
  });

  it('round-trips every finite half exactly', () => {
    for (let b = 0; b < 0x10000; b++) {
      if ((b & 0x7c00) === 0x7c00) continue;
      expect(float32ToFloat16Bits(float16BitsToFloat32(b))).toBe(b);
    }
  });

  it('converts arrays and matches a relative error bound of 2^-11', () => {
    const xs = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 100);
    const back = fromFloat16(toFloat16(xs));
    for (let i = 0; i < xs.length; i++) {
      expect(Math.abs(back[i] - xs[i])).toBeLessThanOrEqual(Math.abs(xs[i]) * 2 ** -11 + 2 ** -25);
    }
    expect(roundToFloat16([0.1])[0]).toBe(float16BitsToFloat32(0x2e66));
  });
});
