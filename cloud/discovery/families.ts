/**
 * Built-in task families. Discovery pools the edges of every task in a family, so the library
 * gains the shapes a whole domain keeps needing rather than one data set's quirks.
 *
 *   symbolic — closed-form formulas (the KAN paper's toy problems, a Bessel function)
 *   sensors  — physical sensor dynamics: damped pendulum, driven Duffing oscillator, heater with
 *              saturation; the target is the state derivative a sensor-fusion model must learn
 *   audio    — audio-feature regressions: mel scale, A-weighting, loudness, spectral centroid
 */
import { InputError } from '../../shared/errors.js';
import { besselJ0 } from './special.js';
import { type DiscoveryTask, formulaTask, type TaskFamily } from './tasks.js';

const symbolic: TaskFamily = {
  name: 'symbolic',
  description: 'closed-form formulas: the KAN paper toy problems and a Bessel function',
  tasks: [
    formulaTask({
      name: 'exp-sin-square',
      description: 'f(x, y) = exp(sin(πx) + y²)',
      inputNames: ['x1', 'x2'],
      width: [2, 5, 1],
      f: (x, o) => Math.exp(Math.sin(Math.PI * x[o]!) + x[o + 1]! ** 2),
    }),
    formulaTask({
      name: 'bessel-j0',
      description: 'f(x) = J0(3x) on [-2, 2]: a shape in no candidate list',
      inputNames: ['x1'],
      width: [1, 1],
      lo: -2,
      hi: 2,
      f: (x, o) => besselJ0(3 * x[o]!),
    }),
    formulaTask({
      name: 'tanh-plus-square',
      description: 'f(x, y) = tanh(3x) + 0.5·y²',
      inputNames: ['x1', 'x2'],
      width: [2, 1],
      f: (x, o) => Math.tanh(3 * x[o]!) + 0.5 * x[o + 1]! ** 2,
    }),
  ],
};

const sensors: TaskFamily = {
  name: 'sensors',
  description: 'physical sensor dynamics: pendulum, driven Duffing oscillator, heater with saturation',
  tasks: [
    formulaTask({
      name: 'pendulum',
      description: "damped pendulum θ'' = −(g/L)·sin θ − b·θ', inputs θ/π and θ'/ω0, target θ''/ω0²",
      inputNames: ['theta', 'omega'],
      width: [2, 1],
      f: (x, o) => -Math.sin(Math.PI * x[o]!) - 0.3 * x[o + 1]!,
    }),
    formulaTask({
      name: 'duffing',
      description: "driven Duffing oscillator x'' = −δx' − αx − βx³ + γ·u, inputs x, x', drive u",
      inputNames: ['x', 'v', 'u'],
      width: [3, 1],
      f: (x, o) => -0.2 * x[o + 1]! + 0.5 * x[o]! - 1.5 * x[o]! ** 3 + 0.8 * x[o + 2]!,
    }),
    formulaTask({
      name: 'heater',
      description: "thermal response with a saturating heater: T' = P·tanh(2.5u) − k·(T − Ta), inputs u, T",
      inputNames: ['u', 'T'],
      width: [2, 1],
      f: (x, o) => Math.tanh(2.5 * x[o]!) - 0.6 * x[o + 1]!,
    }),
  ],
};

/** Maps x ∈ [-1, 1] onto [lo, hi] (linear) or onto [10^lo, 10^hi] (log). */
const lin = (x: number, lo: number, hi: number) => lo + ((x + 1) / 2) * (hi - lo);

/** A-weighting gain in dB (IEC 61672), the ear's sensitivity across frequency. */
function aWeightingDb(f: number): number {
  const f2 = f * f;
  const ra =
    (12194 ** 2 * f2 * f2) /
    ((f2 + 20.6 ** 2) * Math.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2)) * (f2 + 12194 ** 2));
  return 20 * Math.log10(ra) + 2.0;
}

const audio: TaskFamily = {
  name: 'audio',
  description: 'audio-feature regressions: mel scale, A-weighting, loudness, spectral centroid',
  tasks: [
    formulaTask({
      name: 'mel',
      description: 'mel(f) = 2595·log10(1 + f/700), f from 50 Hz to 8 kHz, scaled by mel(8 kHz)',
      inputNames: ['f'],
      width: [1, 1],
      f: (x, o) => Math.log10(1 + lin(x[o]!, 50, 8000) / 700) / Math.log10(1 + 8000 / 700),
    }),
    formulaTask({
      name: 'a-weighting',
      description: 'A-weighting gain in dB over log frequency 20 Hz to 20 kHz, divided by 50',
      inputNames: ['logf'],
      width: [1, 1],
      f: (x, o) => aWeightingDb(10 ** lin(x[o]!, Math.log10(20), Math.log10(20000))) / 50,
    }),
    formulaTask({
      name: 'loudness',
      description: 'level in dB of an RMS amplitude from 0.01 to 1, divided by 40',
      inputNames: ['rms'],
      width: [1, 1],
      f: (x, o) => (20 * Math.log10(lin(x[o]!, 0.01, 1))) / 40,
    }),
    formulaTask({
      name: 'centroid',
      description: 'spectral centroid of 300 Hz + 3 kHz tones vs the 3 kHz amplitude (0..1), in kHz',
      inputNames: ['a2'],
      width: [1, 1],
      f: (x, o) => {
        const a2 = lin(x[o]!, 0, 1);
        return (0.3 + 3 * a2) / (1 + a2);
      },
    }),
  ],
};

export const FAMILIES: Readonly<Record<string, TaskFamily>> = { symbolic, sensors, audio };

export function familyByName(name: string): TaskFamily {
  const f = FAMILIES[name];
  if (!f) throw new InputError(`unknown task family '${name}' (known: ${Object.keys(FAMILIES).join(', ')})`);
  return f;
}

/** One task of a family by 'family/task', e.g. 'symbolic/exp-sin-square'. */
export function taskByPath(path: string): DiscoveryTask {
  const [fam, name] = path.split('/');
  const family = familyByName(fam ?? '');
  const task = family.tasks.find((t) => t.name === name);
  if (!task) {
    throw new InputError(
      `no task '${name}' in family '${fam}' (tasks: ${family.tasks.map((t) => t.name).join(', ')})`,
    );
  }
  return task;
}
