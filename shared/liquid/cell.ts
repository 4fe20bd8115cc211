/**
 * The liquid cell: one step of the seed equation
 *
 *     dx/dt = −x/τ + φ(W·x + U·h + b)
 *
 * solved in closed form over a step of length Δt with φ held at its value at the start of the
 * step (an exponential integrator, exact for the linear decay and stable for any Δt > 0):
 *
 *     x(t+Δt) = e·x(t) + τ·(1 − e)·φ,   e = exp(−Δt/τ)
 *
 * This is the seed equation, not LTC proper (dx/dt = −[1/τ + f]·x + f·A, where the input also
 * modulates the time constant); τ here is per neuron, positive and bounded:
 * τ = τmin + (τmax − τmin)·sigmoid(ρ), so training moves ρ freely and τ never leaves its band.
 *
 * Pure kernels over typed arrays; the autodiff op in cell-op.ts and the TypeScript reference
 * runner both call them, so the maths lives in one place.
 */

/** τ_i from ρ_i; writes dτ/dρ into dtauOut when given. Shapes: rho, out, dtauOut [H]. */
export function tauFromRhoInto(
  rho: Float64Array,
  tauMin: number,
  tauMax: number,
  out: Float64Array,
  dtauOut?: Float64Array,
): void {
  const span = tauMax - tauMin;
  for (let i = 0; i < rho.length; i++) {
    const s = 1 / (1 + Math.exp(-rho[i]!));
    out[i] = tauMin + span * s;
    if (dtauOut) dtauOut[i] = span * s * (1 - s);
  }
}

/** ρ for a wanted τ (clamped inside the band so the logit stays finite). */
export function rhoFromTau(tau: number, tauMin: number, tauMax: number): number {
  const s = Math.min(1 - 1e-9, Math.max(1e-9, (tau - tauMin) / (tauMax - tauMin)));
  return Math.log(s / (1 - s));
}

/**
 * One step for a batch: x, phi, out are [N, H] row-major, tau is [H], dt is one Δt per row [N].
 * out may alias x.
 */
export function liquidStepInto(
  x: Float64Array,
  phi: Float64Array,
  tau: Float64Array,
  dt: Float64Array,
  out: Float64Array,
): void {
  const H = tau.length;
  const N = dt.length;
  for (let n = 0; n < N; n++) {
    const dtn = dt[n]!;
    const row = n * H;
    for (let i = 0; i < H; i++) {
      const t = tau[i]!;
      const e = Math.exp(-dtn / t);
      out[row + i] = e * x[row + i]! + t * (1 - e) * phi[row + i]!;
    }
  }
}

/**
 * Backward of liquidStepInto: given g = dL/dout [N, H], accumulate dL/dx, dL/dphi [N, H] and
 * dL/dτ [H] (any of them may be null when not needed).
 *   ∂out/∂x = e,  ∂out/∂φ = τ(1−e),  ∂out/∂τ = (x − τφ)·e·Δt/τ² + (1−e)·φ
 */
export function liquidStepBackward(
  x: Float64Array,
  phi: Float64Array,
  tau: Float64Array,
  dt: Float64Array,
  g: Float64Array,
  gx: Float64Array | null,
  gphi: Float64Array | null,
  gtau: Float64Array | null,
): void {
  const H = tau.length;
  const N = dt.length;
  for (let n = 0; n < N; n++) {
    const dtn = dt[n]!;
    const row = n * H;
    for (let i = 0; i < H; i++) {
      const t = tau[i]!;
      const e = Math.exp(-dtn / t);
      const gi = g[row + i]!;
      if (gx) gx[row + i] += gi * e;
      if (gphi) gphi[row + i] += gi * t * (1 - e);
      if (gtau) {
        const xi = x[row + i]!;
        const p = phi[row + i]!;
        gtau[i] += gi * ((xi - t * p) * e * (dtn / (t * t)) + (1 - e) * p);
      }
    }
  }
}
