import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { csvTaskFromFile } from '../../cloud/discovery/csv-task.js';
import { discover } from '../../cloud/discovery/discover.js';
import { familyByName } from '../../cloud/discovery/families.js';
import { jobTask } from '../../cloud/discovery/job-task.js';
import type { DiscoveryTask } from '../../cloud/discovery/tasks.js';
import { InputError } from '../../shared/errors.js';
import { writeDirAtomic } from '../../shared/io/atomic.js';
import { classicLibrary, LIBRARY_FILE, libraryToJson, loadLibrary } from '../../shared/library/library.js';
import { type Command, intFlag, JSON_FLAG, optionalString, stringFlag } from '../command.js';
import { progressBar } from '../progress.js';

function widthFlag(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const w = raw.split(',').map((s) => Number(s.trim()));
  if (w.length < 2 || w.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new InputError(
      `--width must be a comma-separated list of positive integers like 2,5,1, got '${raw}'`,
    );
  }
  return w;
}

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'train KANs on a task family, data or a hunger job and grow the activation library',
  usage:
    'discover (--data FILE.csv --target COL | --family NAME | --job FILE) [--width 2,5,1] [--grid 5] [--steps N] [--seed S] [--library DIR] --out DIR --json',
  flags: {
    data: { type: 'string', value: 'FILE.csv', description: 'user data: a numeric CSV with a header row' },
    target: { type: 'string', value: 'COL', description: 'the column to explain (with --data)' },
    family: { type: 'string', value: 'NAME', description: 'built-in task family: symbolic, sensors, audio' },
    job: { type: 'string', value: 'FILE', description: 'a hunger job written by `liquidkan train`' },
    width: { type: 'string', value: 'W', description: 'KAN widths, e.g. 2,5,1 (default: per task)' },
    grid: { type: 'string', value: 'G', description: 'initial grid intervals', default: '5' },
    steps: { type: 'string', value: 'N', description: 'L-BFGS steps per phase', default: '20' },
    seed: { type: 'string', value: 'S', description: 'random seed', default: '0' },
    library: { type: 'string', value: 'DIR', description: 'library to grow (default: the classic library)' },
    out: {
      type: 'string',
      value: 'DIR',
      description: 'directory for the new library version',
      required: true,
    },
    json: JSON_FLAG,
  },
  async run(ctx) {
    const f = ctx.flags;
    const sources = ['data', 'family', 'job'].filter((k) => optionalString(f, k) !== undefined);
    if (sources.length !== 1) throw new InputError('discover: give exactly one of --data, --family or --job');
    let tasks: readonly DiscoveryTask[];
    let source: string;
    if (optionalString(f, 'data')) {
      const file = stringFlag(f, 'data');
      const target = optionalString(f, 'target');
      if (!target) throw new InputError('discover: --data needs --target COL');
      tasks = [csvTaskFromFile(file, target)];
      source = file.replace(/^.*\//, '');
    } else if (optionalString(f, 'family')) {
      const family = familyByName(stringFlag(f, 'family'));
      tasks = family.tasks;
      source = family.name;
    } else {
      const t = jobTask(stringFlag(f, 'job'));
      tasks = [t];
      source = t.name;
    }
    const libRef = optionalString(f, 'library');
    const parent = libRef ? loadLibrary(libRef) : classicLibrary();
    const bar = progressBar(!ctx.json);
    const width = widthFlag(optionalString(f, 'width'));
    const result = await discover({
      tasks,
      source,
      library: parent,
      seed: intFlag(f, 'seed', 0),
      grid: intFlag(f, 'grid', 2),
      steps: intFlag(f, 'steps', 1),
      ...(width ? { width } : {}),
      onProgress: (fraction, label) => bar.update(fraction, label),
    });
    bar.done();
    const out = stringFlag(f, 'out');
    mkdirSync(join(out, '..'), { recursive: true });
    writeDirAtomic(out, { [LIBRARY_FILE]: libraryToJson(result.library) });
    const first = result.tasks[0]!;
    const summary = {
      out,
      test_rmse: first.testRmse,
      formula: first.formula,
      formula_rmse: first.formulaRmse,
      tasks: result.tasks.map((t) => ({
        task: t.task,
        width: t.width,
        test_rmse: t.testRmse,
        formula: t.formula,
        formula_rmse: t.formulaRmse,
        edges: t.edges,
        snapped: t.snapped,
      })),
      entries_added: result.added.map((e) => ({ id: e.id, form: e.form, name: e.name })),
      duplicates: result.report.duplicates,
      version: result.library.version,
      hash: result.library.hash,
    };
    if (ctx.json) {
      ctx.stdout(JSON.stringify(summary));
      return;
    }
    for (const t of result.tasks) {
      ctx.info(`${t.task}: width [${t.width.join(',')}], test RMSE ${t.testRmse.toExponential(2)}`);
      ctx.info(
        `  ${t.formula}${t.formulaRmse === null ? '' : `   (formula RMSE ${t.formulaRmse.toExponential(2)})`}`,
      );
    }
    ctx.info(
      `library v${result.library.version} → ${out}: ${result.added.length} entries added, ${result.report.duplicates.length} merged as duplicates`,
    );
    for (const e of result.added) ctx.info(`  + ${e.id} ${e.form.padEnd(9)} ${e.name}`);
  },
};
