/**
 * `liquidkan demo --local`: the loop on one machine without the fleet, on embedded defaults, with
 * the figures a newcomer wants to see.
 *
 *   1. discovery on the `sensors` family grows the classic library (a new version)
 *   2. a liquid hybrid learns to forecast a simulated oscillator, selecting from that library
 *   3. it is exported for a Raspberry Pi 4 (int8), the manifest stating test error vs fp32
 *   4. the device runtime streams the oscillator through a regime shift (stiffer, more damped),
 *      with and without online τ adaptation, and reports drift and the error after the shift
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover } from '../../cloud/discovery/discover.js';
import { FAMILIES } from '../../cloud/discovery/families.js';
import { oscillatorStream } from '../../cloud/tasks/physics.js';
import { trainForecast } from '../../cloud/train/forecast.js';
import { forecastHeldOut } from '../../cloud/train/held-out.js';
import {
  type ForecastRecord,
  manifestTraining,
  TRAINING_FILE,
  trainingRecordJson,
} from '../../cloud/train/training-record.js';
import { runDevice } from '../../device/runtime/run.js';
import { exportModel, writeBundle } from '../../shared/export/export.js';
import { classicLibrary, saveLibrary } from '../../shared/library/library.js';
import { saveModelDir } from '../../shared/model/store.js';
import { loadProfile } from '../../shared/profiles.js';
import { type CommandContext, intFlag, optionalString } from '../command.js';

const SHIFT = 2000;
const STEPS = 3000;

function csv(columns: readonly string[], series: Float64Array, rows: number): string {
  const w = columns.length;
  const lines = [columns.join(',')];
  for (let r = 0; r < rows; r++)
    lines.push(Array.from(series.subarray(r * w, (r + 1) * w), (v) => v.toPrecision(8)).join(','));
  return `${lines.join('\n')}\n`;
}

/** The local demo: discovery, training, int8 export and the device runtime, in this process. */
export async function runLocalDemo(ctx: CommandContext): Promise<void> {
  const seed = intFlag(ctx.flags, 'seed', 0);
  const work = optionalString(ctx.flags, 'out') ?? mkdtempSync(join(tmpdir(), 'liquidkan-demo-'));
  const say = (s: string) => ctx.info(s);

  say(`1/4 discovery on the sensors family (pendulum, Duffing oscillator, saturating heater)`);
  const disc = await discover({
    tasks: FAMILIES['sensors']!.tasks,
    source: 'sensors',
    library: classicLibrary(),
    seed,
  });
  saveLibrary(join(work, 'library'), disc.library);
  for (const t of disc.tasks) say(`    ${t.task.padEnd(9)} ${t.formula}`);
  say(
    `    library v${disc.library.version}: +${disc.added.length} entries, ${disc.report.duplicates.length} already known`,
  );

  say(`2/4 training a liquid hybrid to forecast an oscillator's position from its drive`);
  const stream = oscillatorStream({ seed, steps: STEPS, shiftIndex: SHIFT });
  // columns carry units ('x [m]'); the CSV names them by symbol
  const col = (symbol: string) => stream.columns.findIndex((c) => c.split(' ')[0] === symbol);
  const inputs = ['u', 'x'];
  const w = stream.columns.length;
  const pick = new Float64Array(STEPS * inputs.length);
  for (let r = 0; r < STEPS; r++) {
    inputs.forEach((c, j) => {
      pick[r * inputs.length + j] = stream.series[r * w + col(c)]!;
    });
  }
  const trainCsv = join(work, 'oscillator-before-shift.csv');
  const fullCsv = join(work, 'oscillator.csv');
  writeFileSync(trainCsv, csv(inputs, pick, SHIFT));
  writeFileSync(fullCsv, csv(inputs, pick, STEPS));
  const trained = trainForecast({
    file: trainCsv,
    target: 'x',
    inputs,
    window: 24,
    horizon: 1,
    library: disc.library,
    hidden: 8,
    seed,
    train: { epochs: 15 },
  });
  const modelDir = join(work, 'model');
  const record: ForecastRecord = {
    task: 'forecast',
    data: trainCsv,
    target: 'x',
    inputs,
    window: 24,
    horizon: 1,
    seed,
    testMse: trained.testMse,
    persistenceMse: trained.persistenceMse,
  };
  saveModelDir(modelDir, trained.model, 'liquidkan demo', { [TRAINING_FILE]: trainingRecordJson(record) });
  say(
    `    test MSE ${trained.testMse.toExponential(2)} (persistence ${trained.persistenceMse.toExponential(2)}); layers: ${trained.selection.map((s) => s.name).join(', ')}`,
  );

  say(`3/4 export for a Raspberry Pi 4 (int8)`);
  const profile = loadProfile('pi4');
  const bundle = exportModel(trained.model, {
    profile,
    quant: 'int8',
    ...forecastHeldOut(trained.data),
    // the bundle names its columns, horizon and test error: the device needs nothing else
    training: manifestTraining(record),
  });
  const bundleDir = join(work, 'pi4-int8');
  writeBundle(bundleDir, bundle);
  const t = bundle.manifest.accuracy.test!;
  say(
    `    model.onnx ${bundle.manifest.step.file.bytes} B; test MSE int8 ${t.value.toExponential(2)} vs fp32 ${t.fp32.toExponential(2)} (${(100 * t.relativeIncrease).toFixed(2)}%)`,
  );

  say(
    `4/4 the device runtime streams ${STEPS} samples; the oscillator turns stiffer and more damped at ${SHIFT}`,
  );
  const run = (adaptTau: boolean) =>
    runDevice({
      model: bundleDir,
      profile,
      input: fullCsv,
      target: ['x'],
      adaptTau,
      emit: null,
      log: () => {},
      latencyCheck: false,
    });
  const frozen = await run(false);
  const adapted = await run(true);
  const events = (s: typeof frozen) =>
    s.drift_events.map((e) => `${e.detector}@${e.step}`).join(', ') || 'none';
  say(`    drift events, adapted τ: ${events(adapted)}; frozen τ: ${events(frozen)}`);
  say(
    `    MSE over the second half (the shift at ${SHIFT} is in it): frozen τ ${frozen.mse_second_half?.toExponential(2)}, adapted τ ${adapted.mse_second_half?.toExponential(2)}`,
  );
  say(
    `    step latency p50 ${adapted.latency_us.p50.toFixed(1)} µs on ${adapted.engine.name} (${adapted.engine.threads} thread(s))`,
  );
  say(`artefacts in ${work}`);
  if (ctx.json) {
    ctx.stdout(
      JSON.stringify({
        out: work,
        discovery: {
          version: disc.library.version,
          added: disc.added.map((e) => e.name),
          formulas: disc.tasks.map((x) => x.formula),
        },
        training: {
          test_mse: trained.testMse,
          persistence_mse: trained.persistenceMse,
          selection: trained.selection,
        },
        export: bundle.manifest.accuracy,
        device: { frozen, adapted },
      }),
    );
  }
}
