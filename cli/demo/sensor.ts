/**
 * The fleet demo's sensor: a transducer whose reading is y = J0(3x) of its excitation x (a
 * Bessel-shaped response no classic activation has). Before the regime shift the excitation
 * stays small (|x| ≤ 0.7, where the response is one bump); after it, it sweeps |x| ≤ 2 into the
 * response's negative lobe and back.
 *
 * The model is one dense unit φ(w·x + b) and a readout, trained on the whole range with the
 * classic library. Its soft mixture blends entries into a J0-like curve; the deployed model is
 * hard on the best single entry but keeps the mixture's logits, affines and weights, so the
 * device's selection can measure how far the best entry falls short of it (device/select/hunger.ts)
 * and ship samples of the shape it wants.
 */
import { besselJ0 } from '../../cloud/discovery/special.js';
import { evaluateMse } from '../../cloud/train/evaluate.js';
import { type LayerHunger, withHardChoice } from '../../cloud/train/hunger.js';
import { searchSelectors } from '../../cloud/train/trainer.js';
import type { WindowSet } from '../../cloud/train/windows.js';
import type { ActivationLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import { cloneModel, type HybridModel, layerCandidates } from '../../shared/model/model.js';
import { ReferenceRunner } from '../../shared/model/reference.js';
import { Rng } from '../../shared/numeric/rng.js';
import type { ManifestTraining } from '../../shared/types/manifest.js';

export const sensorResponse = (x: number): number => besselJ0(3 * x);

/** Excitation amplitude before and after the shift. */
export const NARROW = 0.7;
export const WIDE = 2;

function uniformSet(seed: number, n: number, amplitude: number): WindowSet {
  const rng = new Rng(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = rng.uniform(-amplitude, amplitude);
    y[i] = sensorResponse(x[i]!);
  }
  return { x, y, last: new Float64Array(n), n, window: 1, inputs: 1, outputs: 1 };
}

export interface SensorModel {
  /** Hard on the best single entry, with the mixture kept beside it. */
  readonly model: HybridModel;
  /** The entry it runs. */
  readonly entry: string;
  readonly hunger: LayerHunger;
  /** Test MSE of the deployed model and of the mixture, on the narrow and the wide range. */
  readonly mse: { narrow: number; wide: number; mixtureWide: number };
}

/** Least-squares readout y ≈ w·h + b for a one-unit last layer, on the training set. */
function refitReadout(model: HybridModel, set: WindowSet): void {
  const runner = new ReferenceRunner(model, 1);
  const out = new Float64Array(1);
  let sh = 0;
  let shh = 0;
  let sy = 0;
  let shy = 0;
  for (let i = 0; i < set.n; i++) {
    runner.reset();
    runner.step(Float64Array.of(set.x[i]!), model.dtDefault, out);
    const h = runner.layerOutput(0)[0]!;
    const y = set.y[i]!;
    sh += h;
    shh += h * h;
    sy += y;
    shy += h * y;
  }
  const n = set.n;
  const w = (n * shy - sh * sy) / Math.max(n * shh - sh * sh, 1e-300);
  model.params.set('readout.W', Float64Array.of(w));
  model.params.set('readout.b', Float64Array.of((sy - w * sh) / n));
}

export function trainSensorModel(library: ActivationLibrary, seed: number): SensorModel {
  const data = { train: uniformSet(seed, 600, WIDE), val: uniformSet(seed + 1, 200, WIDE) };
  const initial = initModel({ library, inputs: 1, hidden: 1, outputs: 1, seed, liquidLayers: 0 });
  // the search's 36 epochs as trainHybrid's 60-epoch schedule would run them; no race: the
  // demo hardens the mixture's own weights below
  const {
    softModel: soft,
    hunger: [hunger],
  } = searchSelectors(initial, data, { seed, epochs: 36, lr: 1e-2 });
  if (!hunger) throw new Error('the sensor model did not train a soft mixture');
  // hard on the best entry from the mixture's own weights: fine-tuning after hardening would move
  // the shared weights away from the ones the mixture was trained with
  const k = soft.layers[0]!.selector.candidates.indexOf(hunger.bestSingle.id);
  const model = cloneModel(withHardChoice(soft, 0, k));
  refitReadout(model, data.train);
  const entry = layerCandidates(model, model.layers[0]!)[k]!.name;
  return {
    model,
    entry,
    hunger,
    mse: {
      narrow: evaluateMse(model, uniformSet(seed + 2, 400, NARROW)),
      wide: evaluateMse(model, uniformSet(seed + 2, 400, WIDE)),
      mixtureWide: evaluateMse(soft, uniformSet(seed + 2, 400, WIDE)),
    },
  };
}

/**
 * What the sensor bundle's manifest says of it: column x in, y out on the same row, and the test
 * MSE on the range it was trained on (the wide one), the device's residual drift scale.
 */
export function sensorTraining(sensor: SensorModel): ManifestTraining {
  return {
    task: 'regress',
    inputs: ['x'],
    target: 'y',
    horizon: 0,
    testError: {
      metric: 'test_mse',
      value: sensor.mse.wide,
      units: 'target_squared',
      evaluation: 'streaming',
    },
  };
}

/**
 * One device's stream as CSV (x, y): a smooth two-tone excitation of amplitude NARROW until row
 * `shift`, WIDE after it, with the sensor's response plus a little noise. Each device gets its
 * own tones' phases and noise.
 */
export function sensorCsv(o: { rows: number; shift: number; seed: number; rateHz: number }): string {
  const rng = new Rng(o.seed);
  const p1 = rng.uniform(0, 2 * Math.PI);
  const p2 = rng.uniform(0, 2 * Math.PI);
  // periods in seconds, so the stream looks the same whatever the replay rate
  const f1 = 1 / (2 + rng.uniform(0, 0.5));
  const f2 = 1 / (5.3 + rng.uniform(0, 1));
  const lines = ['x,y'];
  for (let r = 0; r < o.rows; r++) {
    const t = r / o.rateHz;
    const a = r < o.shift ? NARROW : WIDE;
    const x = a * (0.7 * Math.sin(2 * Math.PI * f1 * t + p1) + 0.3 * Math.sin(2 * Math.PI * f2 * t + p2));
    const y = sensorResponse(x) + 0.005 * rng.normal();
    lines.push(`${x.toPrecision(7)},${y.toPrecision(7)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The clean targets of a stream written by sensorCsv, by row (for the demo's error figures). */
export function csvTargets(csv: string): Float64Array {
  const rows = csv.trim().split('\n').slice(1);
  return Float64Array.from(rows, (l) => Number(l.split(',')[1]));
}
