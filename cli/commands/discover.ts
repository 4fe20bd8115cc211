import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { csvTaskFromFile } from '../../cloud/discovery/csv-task.js';
import { discover } from '../../cloud/discovery/discover.js';
import { familyByName, taskByPath } from '../../cloud/discovery/families.js';
import { jobTask } from '../../cloud/discovery/job-task.js';
import { plotKanSvg } from '../../cloud/discovery/plot-kan.js';
import { checkSplitOptions, type SplitOptions } from '../../cloud/discovery/split.js';
import type { DiscoveryTask } from '../../cloud/discovery/tasks.js';
import { widthText } from '../../cloud/kan/mult.js';
import { InputError } from '../../shared/errors.js';
import { writeDirAtomic } from '../../shared/io/atomic.js';
import { classicLibrary, LIBRARY_FILE, libraryToJson, loadLibrary } from '../../shared/library/library.js';
import {
  type Command,
  type FlagValues,
  intFlag,
  JSON_FLAG,
  numberFlag,
  optionalString,
  stringFlag,
} from '../command.js';
import { progressBar } from '../progress.js';
import { COMMAND_SUMMARIES } from './summaries.js';

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

/** --test-fraction, --validation-fraction, --train-rows, --test-rows; checked before any work. */
function splitFlags(f: FlagValues): SplitOptions {
  const o: SplitOptions = {
    testFraction: numberFlag(f, 'test-fraction'),
    validationFraction: numberFlag(f, 'validation-fraction'),
    ...(optionalString(f, 'train-rows') ? { trainRows: intFlag(f, 'train-rows', 1) } : {}),
    ...(optionalString(f, 'test-rows') ? { testRows: intFlag(f, 'test-rows', 1) } : {}),
  };
  checkSplitOptions(o);
  return o;
}

function lambdaFlag(f: FlagValues): number {
  const v = numberFlag(f, 'lambda');
  if (v < 0) throw new InputError(`--lambda must be ≥ 0, got ${v}`);
  return v;
}

export const discoverCommand: Command = {
  name: 'discover',
  summary: COMMAND_SUMMARIES.discover,
  usage:
    'discover (--data FILE.csv --target COL | --family NAME | --task FAMILY/NAME | --job FILE) [--width 2,5,1] [--grid 5] [--steps N] [--lambda L] [--test-fraction F] [--train-rows N] [--test-rows N] [--seed S] [--library DIR] [--plot FILE.svg] --out DIR --json',
  flags: {
    data: { type: 'string', value: 'FILE.csv', description: 'user data: a numeric CSV with a header row' },
    target: { type: 'string', value: 'COL', description: 'the column to explain (with --data)' },
    family: { type: 'string', value: 'NAME', description: 'built-in task family: symbolic, sensors, audio' },
    task: {
      type: 'string',
      value: 'FAMILY/NAME',
      description: 'one built-in task, e.g. symbolic/exp-sin-square',
    },
    job: { type: 'string', value: 'FILE', description: 'a hunger job written by `liquidkan train`' },
    width: { type: 'string', value: 'W', description: 'KAN widths, e.g. 2,5,1 (default: per task)' },
    grid: {
      type: 'string',
      value: 'G',
      description: 'initial grid intervals (default: 3 with hidden layers, else 5)',
    },
    steps: { type: 'string', value: 'N', description: 'L-BFGS steps per phase', default: '20' },
    lambda: {
      type: 'string',
      value: 'L',
      description: 'sparsity weight of the first phase',
      default: '0.01',
    },
    'test-fraction': {
      type: 'string',
      value: 'F',
      description: 'share of the rows held out for the test, in (0, 0.5]',
      default: '0.2',
    },
    'validation-fraction': {
      type: 'string',
      value: 'F',
      description: 'share of the rows held out to judge pruning, in (0, 0.5]',
      default: '0.1',
    },
    'train-rows': { type: 'string', value: 'N', description: 'at most N training rows (default: the rest)' },
    'test-rows': { type: 'string', value: 'N', description: 'N test rows instead of --test-fraction' },
    plot: { type: 'string', value: 'FILE.svg', description: "draw the first task's trained KAN" },
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
    const sources = ['data', 'family', 'task', 'job'].filter((k) => optionalString(f, k) !== undefined);
    if (sources.length !== 1)
      throw new InputError('discover: give exactly one of --data, --family, --task or --job');
    const split = splitFlags(f);
    const lambda = lambdaFlag(f);
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
    } else if (optionalString(f, 'task')) {
      const path = stringFlag(f, 'task');
      tasks = [taskByPath(path)];
      source = path.split('/')[0]!;
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
      ...(f['grid'] === undefined ? {} : { grid: intFlag(f, 'grid', 2) }),
      steps: intFlag(f, 'steps', 1),
      lambda,
      ...split,
      ...(width ? { width } : {}),
      onProgress: (fraction, label) => bar.update(fraction, label),
    });
    bar.done();
    const out = stringFlag(f, 'out');
    mkdirSync(join(out, '..'), { recursive: true });
    writeDirAtomic(out, { [LIBRARY_FILE]: libraryToJson(result.library) });
    const first = result.tasks[0]!;
    const plot = optionalString(f, 'plot');
    if (plot) {
      mkdirSync(dirname(resolve(plot)), { recursive: true });
      writeFileSync(plot, plotKanSvg(first.kan, first.edgeReports, { title: first.formula }));
    }
    const taskJson = (t: (typeof result.tasks)[number]) => ({
      task: t.task,
      width: t.width,
      mult: t.mult,
      rows: t.rows,
      test_rmse: t.testRmse,
      test_rmse_standardised: t.testRmseStandardised,
      test_r2: t.testR2,
      formula: t.formula,
      formula_normalised: t.formulaNormalised,
      formula_rmse: t.formulaRmse,
      formula_rmse_standardised: t.formulaRmseStandardised,
      edges: t.edges,
      snapped: t.snapped,
    });
    const summary = {
      out,
      ...taskJson(first),
      ...(plot ? { plot } : {}),
      tasks: result.tasks.map(taskJson),
      entries_added: result.added.map((e) => ({ id: e.id, form: e.form, name: e.name })),
      duplicates: result.report.duplicates,
      version: result.library.version,
      hash: result.library.hash,
    };
    if (ctx.json) {
      ctx.stdout(JSON.stringify(summary));
      return;
    }
    const fmt = (v: number) => v.toExponential(2);
    for (const t of result.tasks) {
      ctx.info(
        `${t.task}: width ${widthText(t.width, t.mult)}, ${t.rows.train}/${t.rows.validation}/${t.rows.test} train/validation/test rows, ` +
          `test RMSE ${fmt(t.testRmse)} (standardised ${fmt(t.testRmseStandardised)}, R² ${t.testR2.toFixed(4)})`,
      );
      ctx.info(
        `  ${t.formula}${t.formulaRmse === null ? '' : `   (formula test RMSE ${fmt(t.formulaRmse)}, standardised ${fmt(t.formulaRmseStandardised!)})`}`,
      );
    }
    if (plot) ctx.info(`plot → ${plot}`);
    ctx.info(
      `library v${result.library.version} → ${out}: ${result.added.length} entries added, ${result.report.duplicates.length} merged as duplicates`,
    );
    for (const e of result.added) ctx.info(`  + ${e.id} ${e.form.padEnd(9)} ${e.name}`);
  },
};
