import { join } from 'node:path';
import { trainForecast } from '../../cloud/train/forecast.js';
import {
  JOB_FORMAT,
  mixtureCurve,
  preActivationSamples,
  writeDiscoveryJob,
} from '../../cloud/train/hunger.js';
import { TRAINING_FILE, trainingRecordJson } from '../../cloud/train/training-record.js';
import { loadLibrary } from '../../shared/library/library.js';
import { saveModelDir } from '../../shared/model/store.js';
import { type Command, intFlag, JSON_FLAG, optionalString, stringFlag } from '../command.js';
import { progressBar } from '../progress.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a liquid hybrid to forecast a CSV column, selecting activations from a library',
  usage:
    'train --data FILE.csv --target COL --window W --horizon H --library classic|DIR [--hidden N] [--epochs E] [--seed S] --out DIR --json',
  flags: {
    data: { type: 'string', value: 'FILE.csv', description: 'numeric CSV with a header row', required: true },
    target: { type: 'string', value: 'COL', description: 'column to forecast', required: true },
    inputs: {
      type: 'string',
      value: 'COLS',
      description: 'comma-separated input columns (default: the target)',
    },
    window: { type: 'string', value: 'W', description: 'rows per input window', required: true },
    horizon: { type: 'string', value: 'H', description: 'steps ahead to forecast', required: true },
    library: { type: 'string', value: 'classic|DIR', description: 'activation library', required: true },
    hidden: { type: 'string', value: 'N', description: 'units per layer', default: '16' },
    epochs: { type: 'string', value: 'E', description: 'training epochs', default: '40' },
    seed: { type: 'string', value: 'S', description: 'random seed', default: '1' },
    out: { type: 'string', value: 'DIR', description: 'model directory to write', required: true },
    json: JSON_FLAG,
  },
  run(ctx) {
    const file = stringFlag(ctx.flags, 'data');
    const epochs = intFlag(ctx.flags, 'epochs', 1);
    const bar = progressBar(!ctx.json);
    const inputs = optionalString(ctx.flags, 'inputs')
      ?.split(',')
      .map((s) => s.trim());
    const r = trainForecast(
      {
        file,
        target: stringFlag(ctx.flags, 'target'),
        ...(inputs ? { inputs } : {}),
        window: intFlag(ctx.flags, 'window', 1),
        horizon: intFlag(ctx.flags, 'horizon', 1),
        library: loadLibrary(stringFlag(ctx.flags, 'library')),
        hidden: intFlag(ctx.flags, 'hidden', 1),
        seed: intFlag(ctx.flags, 'seed', 0),
        train: { epochs },
      },
      (e) =>
        bar.update((e.epoch + 1) / epochs, `epoch ${e.epoch + 1} ${e.phase} val ${e.valLoss.toFixed(4)}`),
    );
    bar.done();
    const out = stringFlag(ctx.flags, 'out');
    saveModelDir(out, r.model, 'liquidkan train', {
      [TRAINING_FILE]: trainingRecordJson({
        task: 'forecast',
        data: file,
        target: stringFlag(ctx.flags, 'target'),
        inputs: inputs ?? [stringFlag(ctx.flags, 'target')],
        window: intFlag(ctx.flags, 'window', 1),
        horizon: intFlag(ctx.flags, 'horizon', 1),
        seed: intFlag(ctx.flags, 'seed', 0),
        testMse: r.testMse,
        persistenceMse: r.persistenceMse,
      }),
    });
    const jobs: string[] = [];
    for (const h of r.hunger) {
      if (!h.hungry || !r.softModel) continue;
      const u = preActivationSamples(r.softModel, h.layer, r.data.train, 512);
      const phi = mixtureCurve(r.softModel, h.layer, u);
      const jobFile = join(out, `hunger-L${h.layer}.json`);
      writeDiscoveryJob(jobFile, {
        format: JOB_FORMAT,
        formatVersion: 1,
        task: file.replace(/^.*\//, ''),
        layer: h.layer,
        seed: r.model.seed,
        library: { version: r.softModel.library.version, hash: r.softModel.library.hash },
        reason: { entropy: h.entropy, gap: h.gap, bestSingle: h.bestSingle.name },
        samples: { u: Array.from(u), phi: Array.from(phi) },
      });
      jobs.push(jobFile);
    }
    const summary = {
      out,
      test_mse: r.testMse,
      val_mse: r.valMse,
      baseline_persistence_mse: r.persistenceMse,
      selection: r.selection,
      hunger: r.hunger.map((h) => ({
        layer: h.layer,
        entropy: h.entropy,
        gap: h.gap,
        best_single: h.bestSingle.name,
        hungry: h.hungry,
      })),
      discovery_jobs: jobs,
      epochs_run: r.history.length,
      library_version: r.model.library.version,
    };
    if (ctx.json) {
      ctx.stdout(JSON.stringify(summary));
      return;
    }
    ctx.info(`wrote ${out}`);
    ctx.info(`test MSE ${r.testMse.toPrecision(4)} (persistence ${r.persistenceMse.toPrecision(4)})`);
    ctx.info(`selection: ${r.selection.map((s) => `L${s.layer} ${s.kind} ${s.name}`).join(', ')}`);
    for (const h of r.hunger) {
      ctx.info(
        `hunger L${h.layer}: entropy ${h.entropy.toFixed(2)}, gap ${h.gap.toFixed(3)}${h.hungry ? ' → discovery job' : ''}`,
      );
    }
  },
};
