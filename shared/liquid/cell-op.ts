/**
 * The liquid step as one autodiff op (forward and backward from cell.ts), so training through
 * time records one node per layer per step instead of a dozen elementwise ones.
 */
import { ShapeError } from '../errors.js';
import type { Tape, Var } from '../numeric/tape.js';
import { liquidStepBackward, liquidStepInto, tauFromRhoInto } from './cell.js';

/**
 * x' = e·x + τ(1−e)·φ with τ = τmin + (τmax−τmin)·sigmoid(ρ), e = exp(−Δt/τ).
 * x, phi: [N, H]; rho: [H]; dt: [N] (a constant: time steps are data, not parameters).
 */
export function liquidStep(
  tape: Tape,
  x: Var,
  phi: Var,
  rho: Var,
  dt: Float64Array,
  tauMin: number,
  tauMax: number,
): Var {
  const H = rho.size;
  if (x.size !== dt.length * H || phi.size !== x.size) {
    throw new ShapeError(
      `liquidStep: x [${x.shape}] and phi [${phi.shape}] must both be [${dt.length}, ${H}] for ${H} neurons`,
    );
  }
  const tau = new Float64Array(H);
  const dtau = new Float64Array(H);
  tauFromRhoInto(rho.data, tauMin, tauMax, tau, dtau);
  const out = new Float64Array(x.size);
  liquidStepInto(x.data, phi.data, tau, dt, out);
  return tape.record(
    out,
    x.shape,
    [x, phi, rho],
    (o) => {
      const gtau = rho.requiresGrad ? new Float64Array(H) : null;
      liquidStepBackward(x.data, phi.data, tau, dt, o.grad!, x.grad, phi.grad, gtau);
      if (gtau) for (let i = 0; i < H; i++) rho.grad![i] += gtau[i]! * dtau[i]!;
    },
    'liquidStep',
  );
}
