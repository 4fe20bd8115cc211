import { compareFlavours } from '../../cloud/train/compare.js';
import { forecastData } from '../../cloud/train/windows.js';
import { InputError } from '../../shared/errors.js';
import { readNumericCsv, selectColumns } from '../../shared/io/csv.js';
import { loadLibrary } from '../../shared/library/library.js';
import { type Command, intFlag, JSON_FLAG, stringFlag } from '../command.js';
import { progressBar } from '../progress.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const compareCommand: Command = {
  name: 'compare',
  summary: COMMAND_SUMMARIES.compare,
  usage:
    'compare --data FILE.csv --target COL --window W --horizon H --library classic|DIR [--seed S] --json',
  flags: {
    data: { type: 'string', value: 'FILE.csv', description: 'numeric CSV with a header row', required: true },
    target: { type: 'string', value: 'COL', description: 'column to forecast', required: true },
    window: { type: 'string', value: 'W', description: 'rows per input window', required: true },
    horizon: { type: 'string', value: 'H', description: 'steps ahead to forecast', required: true },
    library: {
      type: 'string',
      value: 'classic|DIR',
      description: 'activation library for the hybrid',
      required: true,
    },
    seed: { type: 'string', value: 'S', description: 'random seed', default: '1' },
    budget: {
      type: 'string',
      value: 'P',
      description: 'parameter budget for every flavour',
      default: '1000',
    },
    epochs: { type: 'string', value: 'E', description: 'training epochs per flavour', default: '30' },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const file = stringFlag(ctx.flags, 'data');
    const target = stringFlag(ctx.flags, 'target');
    const table = readNumericCsv(file);
    if (!table.columns.includes(target)) {
      throw new InputError(`${file}: no target column '${target}' (columns: ${table.columns.join(', ')})`);
    }
    const data = forecastData(
      selectColumns(table, [target], file),
      1,
      0,
      { window: intFlag(ctx.flags, 'window', 1), horizon: intFlag(ctx.flags, 'horizon', 1) },
      file,
    );
    const bar = progressBar(!ctx.json);
    const rows = await compareFlavours(data, {
      library: loadLibrary(stringFlag(ctx.flags, 'library')),
      seed: intFlag(ctx.flags, 'seed', 0),
      budget: intFlag(ctx.flags, 'budget', 10),
      train: { epochs: intFlag(ctx.flags, 'epochs', 1) },
      onFlavour: (f, i) => bar.update(i / 4, `training ${f}`),
    });
    bar.done();
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ rows }));
      return;
    }
    ctx.info(
      `${'model'.padEnd(12)} ${'test MSE'.padStart(12)} ${'params'.padStart(7)} ${'step µs'.padStart(8)}`,
    );
    for (const r of rows) {
      ctx.info(
        `${r.model.padEnd(12)} ${r.test_mse.toPrecision(5).padStart(12)} ${String(r.params).padStart(7)} ${(r.step_us === null ? '-' : r.step_us.toFixed(1)).padStart(8)}`,
      );
    }
  },
};
