/**
 * `liquidkan predict --model DIR --input FILE.csv [--engine ts|onnx] [--quant Q] --json` prints
 * one prediction row per input row; a header row is optional; the TypeScript reference and
 * onnxruntime agree within 1e-5 at fp32, and the --quant flag changes what runs.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

const ROWS = [
  [0.5, -1, 2],
  [1, 0, -0.25],
  [-2, 1.5, 0.75],
  [0, 0, 0],
  [3, -3, 1e-3],
];

let work: string;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-predict');
  const body = ROWS.map((r) => r.join(',')).join('\n');
  writeFileSync(join(work, 'with-header.csv'), `temp,hum,wind\n${body}\n`);
  writeFileSync(join(work, 'no-header.csv'), `${body}\n`);
  writeFileSync(
    join(work, 'crlf-quoted.csv'),
    `"temp","hum","wind"\r\n${ROWS.map((r) => r.map((v) => `"${v}"`).join(',')).join('\r\n')}\r\n`,
  );
  const init = await runCli(
    [
      'init',
      '--library',
      'classic',
      '--inputs',
      '3',
      '--hidden',
      '6',
      '--outputs',
      '2',
      '--seed',
      '11',
      '--out',
      'm',
    ],
    work,
  );
  expect(init.code).toBe(0);
  const exp = await runCli(
    ['export', '--model', 'm', '--profile', 'pi4', '--quant', 'fp32', '--out', 'bundle'],
    work,
  );
  expect(exp.code).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function predict(args: string[]): Promise<number[][]> {
  const r = await runCli(['predict', ...args, '--json'], work);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as { predictions: number[][] };
  expect(out.predictions).toHaveLength(ROWS.length);
  for (const row of out.predictions) {
    expect(row).toHaveLength(2);
    for (const v of row) expect(Number.isFinite(v)).toBe(true);
  }
  return out.predictions;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      m = Math.max(m, Math.abs(v - b[i]![j]!));
    });
  });
  return m;
}

describe.concurrent('liquidkan predict', () => {
  it('prints {"predictions": [[...], ...]}, one row per input row, header or not', async () => {
    const [withHeader, noHeader, crlf] = await Promise.all([
      predict(['--model', 'm', '--input', 'with-header.csv']),
      predict(['--model', 'm', '--input', 'no-header.csv']),
      predict(['--model', 'm', '--input', 'crlf-quoted.csv']),
    ]);
    expect(noHeader).toEqual(withHeader);
    expect(crlf).toEqual(withHeader);
    // a recurrent model: the same input row at a different time gives a different output
    expect(withHeader[1]).not.toEqual(withHeader[0]);
  });

  it('the ts and onnx engines agree within 1e-5 at fp32', async () => {
    const [ts, onnx] = await Promise.all([
      predict(['--model', 'm', '--input', 'with-header.csv', '--engine', 'ts']),
      predict(['--model', 'm', '--input', 'with-header.csv', '--engine', 'onnx', '--quant', 'fp32']),
    ]);
    expect(maxAbsDiff(ts, onnx)).toBeLessThan(1e-5);
    expect(maxAbsDiff(ts, onnx)).toBeGreaterThan(0); // onnxruntime really ran, in float32
  });

  it('--quant int8 runs the quantised weights on both engines', async () => {
    const [fp32, ts8, onnx8] = await Promise.all([
      predict(['--model', 'm', '--input', 'no-header.csv']),
      predict(['--model', 'm', '--input', 'no-header.csv', '--quant', 'int8']),
      predict(['--model', 'm', '--input', 'no-header.csv', '--quant', 'int8', '--engine', 'onnx']),
    ]);
    expect(maxAbsDiff(fp32, ts8)).toBeGreaterThan(1e-6);
    expect(maxAbsDiff(ts8, onnx8)).toBeLessThan(1e-5);
  });

  it('reads an exported bundle as the model directory', async () => {
    const [dir, bundle] = await Promise.all([
      predict(['--model', 'm', '--input', 'no-header.csv']),
      predict(['--model', 'bundle', '--input', 'no-header.csv']),
    ]);
    expect(bundle).toEqual(dir);
  });

  it('without --json prints one comma-separated line per row', async () => {
    const [json, text] = await Promise.all([
      predict(['--model', 'm', '--input', 'no-header.csv']),
      runCli(['predict', '--model', 'm', '--input', 'no-header.csv'], work),
    ]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(ROWS.length);
    lines.forEach((line, i) => {
      const cells = line.split(',').map(Number);
      expect(cells).toHaveLength(2);
      cells.forEach((v, j) => {
        expect(v).toBeCloseTo(json[i]![j]!, 5);
      });
    });
  });
});
