/**
 * Mel-frequency cepstral coefficients: the orthonormal DCT-II of log-mel energies,
 *
 *   c[k] = s_k · Σ_{m<M} e[m]·cos(πk(m + ½)/M),  s_0 = √(1/M), s_k = √(2/M),
 *
 * keeping the first K coefficients (the smooth spectral envelope; the rest is pitch detail).
 * Orthonormal scaling keeps c[0] comparable to the other coefficients.
 */
import { InputError } from '../errors.js';

/** The DCT-II matrix [numCoeffs, numInputs], orthonormal rows. */
export function dctMatrix(numCoeffs: number, numInputs: number): Float64Array {
  if (!(numCoeffs >= 1 && numCoeffs <= numInputs)) {
    throw new InputError(`MFCC needs 1 ≤ numCeps ≤ numMel, got ${numCoeffs} of ${numInputs}`);
  }
  const d = new Float64Array(numCoeffs * numInputs);
  for (let k = 0; k < numCoeffs; k++) {
    const s = Math.sqrt((k === 0 ? 1 : 2) / numInputs);
    for (let m = 0; m < numInputs; m++)
      d[k * numInputs + m] = s * Math.cos((Math.PI * k * (m + 0.5)) / numInputs);
  }
  return d;
}

/** out [K] = D [K, M] · logMel [M], reading logMel from `offset`. */
export function applyDct(
  dct: Float64Array,
  numCoeffs: number,
  logMel: Float64Array,
  out: Float64Array,
  outOffset = 0,
): void {
  const M = dct.length / numCoeffs;
  for (let k = 0; k < numCoeffs; k++) {
    let s = 0;
    for (let m = 0; m < M; m++) s += dct[k * M + m]! * logMel[m]!;
    out[outOffset + k] = s;
  }
}
