import { describe, expect, it } from 'vitest';
import { oscillatorStream } from '../../../cloud/tasks/physics.js';
import { physicsWindows, thinWindows } from '../../../cloud/tasks/physics-windows.js';
import { evaluateMse } from '../../../cloud/train/evaluate.js';
import { oscillatorResidual, withPhysics } from '../../../cloud/train/physics-loss.js';
import { trainHybrid } from '../../../cloud/train/trainer.js';
import { classicLibrary } from '../../../shared/library/library.js';
import { initModel } from '../../../shared/model/init.js';
import { forwardOnTape, paramVars, selectorStates } from '../../../shared/model/tape-forward.js';
import { gradcheck } from '../../../shared/numeric/gradcheck.js';
import { mseLoss } from '../../../shared/numeric/ops.js';
import { Tape, Var } from '../../../shared/numeric/tape.js';

const W = 20;
const H = 5;
const stream = oscillatorStream({ seed: 1, steps: 1200, shiftIndex: null });
const data = physicsWindows(stream, {
  target: 'x',
  inputs: ['u', 'x'],
  window: W,
  horizon: H,
  trainFraction: 0.6,
  valFraction: 0.1,
});
const residualFor = (omega: number) =>
  oscillatorResidual({
    omega,
    zeta: stream.before.zeta,
    dtS: stream.dtS,
    horizon: H,
    driveCol: 0,
    inputScaling: data.inputScaling,
    targetScaling: data.targetScaling,
  });
const batch = {
  x: data.train.x.subarray(0, 4 * W * 2),
  y: data.train.y.subarray(0, 4),
  n: 4,
  window: W,
  inputs: 2,
};

/** Per-step "predictions" of 4 windows: the true standardised x at step t + H. */
function truePredictions(): Var[] {
  const { mean, std } = data.targetScaling;
  return Array.from({ length: W }, (_, t) =>
    Var.param(
      Float64Array.from({ length: 4 }, (_, b) => {
        const row = data.starts.train[b]! + t + H;
        return row < stream.rows ? (stream.series[row * 3 + 1]! - mean) / std : 0;
      }),
      [4, 1],
      `y${t}`,
    ),
  );
}

describe('oscillator residual', () => {
  it('vanishes on the true trajectory and not under the wrong stiffness', () => {
    const outs = truePredictions();
    const right = residualFor(stream.before.omega)(new Tape(), outs, batch).data[0]!;
    const wrong = residualFor(1.2 * stream.before.omega)(new Tape(), outs, batch).data[0]!;
    expect(right).toBeLessThan(1e-4); // O(h²) truncation: rms r ≈ 0.004 σ_x
    expect(wrong).toBeGreaterThan(100 * right);
  });

  it('has the gradient finite differences give, alone and through the model', () => {
    const outs = truePredictions().map((v) =>
      Var.param(
        v.data.map((x, i) => x + 0.01 * Math.sin(i + 1)),
        v.shape,
      ),
    );
    const res = residualFor(stream.before.omega);
    expect(gradcheck((tape) => res(tape, outs, batch), outs).ok).toBe(true);

    const model = initModel({
      library: classicLibrary(),
      inputs: 2,
      hidden: 3,
      outputs: 1,
      seed: 2,
      activation: 'tanh',
    });
    const vars = paramVars(model);
    const selectors = selectorStates(model);
    const dts = new Float64Array(4 * W).fill(1);
    const checked = ['L1.W', 'L1.rho', 'readout.W'].map((n) => vars.get(n)!);
    const r = gradcheck(
      (tape) => {
        const { outputs } = forwardOnTape(tape, model, vars, selectors, batch.x, dts, 4, W);
        const dataLoss = mseLoss(tape, outputs[W - 1]!, Var.constant(batch.y.slice(), [4, 1]));
        return withPhysics(tape, dataLoss, res(tape, outputs, batch), 0.1);
      },
      checked,
      { rtol: 1e-4, atol: 1e-6 },
    );
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('with 30 training windows, the physics term lowers test error versus data alone (same seed)', () => {
    const little = { ...data, train: thinWindows(data.train, 30) };
    const run = (physics: boolean) => {
      const model = initModel({
        library: classicLibrary(),
        inputs: 2,
        hidden: 8,
        outputs: 1,
        seed: 1,
        activation: 'tanh',
      });
      const r = trainHybrid(model, little, {
        seed: 1,
        epochs: 150,
        lr: 1e-2,
        batchSize: 10,
        patience: 30,
        ...(physics ? { physics: { weight: 0.1, residual: residualFor(stream.before.omega) } } : {}),
      });
      return evaluateMse(r.model, data.test);
    };
    const plain = run(false);
    const informed = run(true);
    // measured: ≈0.035 (data alone) vs ≈0.002 (with physics), standardised units
    expect(informed).toBeLessThan(0.5 * plain);
  });
});
