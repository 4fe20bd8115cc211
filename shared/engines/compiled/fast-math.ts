/**
 * tanh for the compiled engine at float32 accuracy, without a call into the C library: the
 * rational minimax approximation onnxruntime itself evaluates for a float32 Tanh (MLAS's
 * MlasComputeTanh, Eigen's ptanh): x clamped to ±9, then
 *
 *     tanh(x) ≈ x·P(x²) / Q(x²),   P of degree 6, Q of degree 3 in x²
 *
 * Evaluated in float64 it is within 3e-8 of tanh everywhere (two float32 ulps at most), far
 * inside the engine's parity tolerance, and it is what onnxruntime's own Tanh computes. V8 inlines it; Math.tanh is a call into
 * fdlibm, about four times slower (the step's two 32-wide tanh layers cost 1.1 µs that way).
 * Sigmoid uses it too: σ(x) = ½ + ½·tanh(x/2).
 */

export function tanhF32(x: number): number {
  const c = Math.max(-9, Math.min(x, 9));
  const z = c * c;
  // the coefficients as literals, so that they are immediates in the optimised code
  const p =
    ((((((-2.76076847742355e-16 * z + 2.00018790482477e-13) * z - 8.60467152213735e-11) * z +
      5.12229709037114e-8) *
      z +
      1.48572235717979e-5) *
      z +
      6.37261928875436e-4) *
      z +
      4.89352455891786e-3) *
    c;
  const q =
    ((1.19825839466702e-6 * z + 1.18534705686654e-4) * z + 2.268434632439e-3) * z + 4.89352518554385e-3;
  // NaN passes through the clamp unchanged, as tanh(NaN) is NaN
  return p / q;
}
