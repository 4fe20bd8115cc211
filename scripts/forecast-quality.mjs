/**
 * The forecasting quality table: for each real series, `liquidkan train` (window 12, horizon 1,
 * classic library, seed 0) and then `liquidkan device` over the same file at fp32, scored on the
 * held-out tail (the last 15% of label rows), next to persistence on the same rows.
 * Run `npm run build` first. Prints one JSON line per series, then a Markdown table.
 *
 *   node scripts/forecast-quality.mjs [FILE.csv ...]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEFAULT_FILES = [
  'tests/fixtures/nottingham_temp.csv',
  'tests/fixtures/co2_mauna_loa.csv',
  'tests/fixtures/sunspot_month.csv',
  'tests/fixtures/series/seattle_temp_max.csv',
  'tests/fixtures/series/sp500_daily_close.csv',
  'tests/fixtures/series/global_temp_anomaly.csv',
  'tests/fixtures/series/sp500_monthly.csv',
];

const cli = (args) =>
  execFileSync('node', ['bin/liquidkan.js', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  });

function values(file) {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const col = lines[0]
    .split(',')
    .map((s) => s.replace(/"/g, ''))
    .indexOf('value');
  return lines.slice(1).map((l) => Number(l.split(',')[col]));
}

const files = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_FILES;
const work = mkdtempSync(join(tmpdir(), 'lk-quality-'));
const rows = [];
try {
  for (const file of files) {
    const out = join(work, file.replace(/\W/g, '_'));
    const t0 = Date.now();
    const trained = JSON.parse(
      cli([
        'train',
        '--data',
        file,
        '--target',
        'value',
        '--window',
        '12',
        '--horizon',
        '1',
        '--library',
        'classic',
        '--seed',
        '0',
        '--out',
        out,
        '--json',
      ]),
    );
    const trainS = (Date.now() - t0) / 1000;
    const preds = cli([
      'device',
      '--model',
      out,
      '--profile',
      'pi4',
      '--quant',
      'fp32',
      '--input',
      file,
      '--target',
      'value',
      '--no-adapt-tau',
      '--no-latency-check',
      '--engine',
      'native',
    ])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).y[0]);
    const ys = values(file);
    const from = Math.floor(ys.length * 0.85);
    let se = 0;
    let pe = 0;
    for (let r = from; r < ys.length; r++) {
      se += (preds[r - 1] - ys[r]) ** 2;
      pe += (ys[r - 1] - ys[r]) ** 2;
    }
    const n = ys.length - from;
    const row = {
      file,
      rows: ys.length,
      selection: trained.selection.map((s) => s.name).join('/'),
      train_test_mse: trained.test_mse,
      device_mse: se / n,
      device_over_train: se / n / trained.test_mse,
      persistence_mse: pe / n,
      train_s: trainS,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const g = (v) => v.toPrecision(4);
console.log('\n| series | rows | selection | train test MSE | device MSE | device/train | persistence |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.file.replace(/^.*\//, '')} | ${r.rows} | ${r.selection} | ${g(r.train_test_mse)} | ${g(r.device_mse)} | ${r.device_over_train.toFixed(4)} | ${g(r.persistence_mse)} |`,
  );
}
