/**
 * Bad input is refused with a message naming the file and the field, line or column, exit code 2,
 * and nothing half-written: a fresh --out directory is never created and an existing one is left
 * exactly as it was. Covers corrupt library.json, model.json and weights.bin, unknown profiles
 * and quantisations, bad flags, and CSV cells that are not finite numbers.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;
const GOOD = 'good';

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-bad');
  const r = await runCli(
    [
      'init',
      '--library',
      'classic',
      '--inputs',
      '3',
      '--hidden',
      '4',
      '--outputs',
      '2',
      '--seed',
      '9',
      '--out',
      GOOD,
    ],
    work,
  );
  expect(r.code).toBe(0);
  writeFileSync(join(work, 'ok.csv'), 'a,b,c\n1,2,3\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let cases = 0;

/** A copy of the good model directory, changed by `edit` (which gets the copy's path). */
function corruptModel(edit: (dir: string) => void): string {
  const dir = `model-${++cases}`;
  cpSync(join(work, GOOD), join(work, dir), { recursive: true });
  edit(join(work, dir));
  return dir;
}

function editText(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const edited = text.replace(from, to);
  expect(edited).not.toBe(text);
  writeFileSync(file, edited);
}

function tempSiblings(name: string): string[] {
  return readdirSync(work).filter((f) => f.startsWith(`.${name}.tmp-`));
}

/**
 * Runs the command twice: with --out naming a directory that does not exist (it must still not
 * exist afterwards) and naming one that holds a file (it must be left as it was).
 */
async function expectRefusedWithOut(args: readonly string[], messages: readonly (string | RegExp)[]) {
  const n = ++cases;
  const fresh = `out-fresh-${n}`;
  const kept = `out-kept-${n}`;
  cpSync(join(work, GOOD), join(work, kept), { recursive: true });
  const before = readdirSync(join(work, kept)).map((f) => [f, readFileSync(join(work, kept, f))] as const);
  const results = await Promise.all([
    runCli([...args, '--out', fresh], work),
    runCli([...args, '--out', kept], work),
  ]);
  for (const r of results) {
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    for (const m of messages) {
      if (typeof m === 'string') expect(r.stderr).toContain(m);
      else expect(r.stderr).toMatch(m);
    }
    expect(r.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
  }
  expect(existsSync(join(work, fresh))).toBe(false);
  expect(readdirSync(join(work, kept)).map((f) => [f, readFileSync(join(work, kept, f))] as const)).toEqual(
    before,
  );
  expect([...tempSiblings(fresh), ...tempSiblings(kept)]).toEqual([]);
  return results[0]!;
}

async function expectRefused(args: readonly string[], messages: readonly (string | RegExp)[]) {
  const r = await runCli(args, work);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  for (const m of messages) {
    if (typeof m === 'string') expect(r.stderr).toContain(m);
    else expect(r.stderr).toMatch(m);
  }
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return r;
}

const exportFrom = (model: string) => ['export', '--model', model, '--profile', 'pi4', '--quant', 'fp32'];
const initWith = (library: string, hidden = '4') =>
  [
    'init',
    '--library',
    library,
    '--inputs',
    '3',
    '--hidden',
    hidden,
    '--outputs',
    '2',
    '--seed',
    '1',
  ] as const;

describe.concurrent('a corrupt model directory', () => {
  it('library.json that is not JSON', async () => {
    const m = corruptModel((d) => writeFileSync(join(d, 'library.json'), '{"format": "liquidkan-library", '));
    await expectRefusedWithOut(exportFrom(m), [`${m}/library.json`, 'not valid JSON']);
  });

  it("library.json with a tail policy 'wobbly'", async () => {
    const m = corruptModel((d) => editText(join(d, 'library.json'), '"tail": "extend"', '"tail": "wobbly"'));
    await expectRefusedWithOut(exportFrom(m), [
      `${m}/library.json`,
      'entries[0]',
      "field 'tail'",
      '"wobbly"',
      'linear, constant, extend',
    ]);
  });

  it('library.json with an entry whose id does not match its content', async () => {
    const m = corruptModel((d) => editText(join(d, 'library.json'), '"alpha": 1,', '"alpha": 2,'));
    await expectRefusedWithOut(exportFrom(m), [`${m}/library.json`, "field 'entries[0].id'", "'identity'"]);
  });

  it('library.json whose file hash was edited', async () => {
    const m = corruptModel((d) =>
      editText(join(d, 'library.json'), /"hash": "[0-9a-f]{64}"/, `"hash": "${'0'.repeat(64)}"`),
    );
    await expectRefusedWithOut(exportFrom(m), [`${m}/library.json`, "field 'hash'", 'does not match']);
  });

  it('model.json that is not JSON', async () => {
    const m = corruptModel((d) => writeFileSync(join(d, 'model.json'), 'model: yes\n'));
    await expectRefusedWithOut(exportFrom(m), [`${m}/model.json`, 'not valid JSON']);
  });

  it('model.json with a negative units', async () => {
    const m = corruptModel((d) => editText(join(d, 'model.json'), '"units": 4', '"units": -4'));
    await expectRefusedWithOut(exportFrom(m), [`${m}/model.json`, "field 'layers[0].units'"]);
  });

  it('model.json with an unknown field', async () => {
    const m = corruptModel((d) =>
      editText(join(d, 'model.json'), '"inputs": 3,', '"inputs": 3, "inptus": 3,'),
    );
    await expectRefusedWithOut(exportFrom(m), [`${m}/model.json`, "field 'inptus'"]);
  });

  it('a truncated weights.bin', async () => {
    const m = corruptModel((d) => truncateSync(join(d, 'weights.bin'), 100));
    await expectRefusedWithOut(exportFrom(m), [`${m}/weights.bin`, /sha256 [0-9a-f]{64} does not match/]);
  });

  it('a weights.bin with one byte changed', async () => {
    const m = corruptModel((d) => {
      const bytes = readFileSync(join(d, 'weights.bin'));
      bytes[17] = bytes[17]! ^ 0x40;
      writeFileSync(join(d, 'weights.bin'), bytes);
    });
    await expectRefusedWithOut(exportFrom(m), [`${m}/weights.bin`, 'weights.sha256']);
    await expectRefused(
      ['predict', '--model', m, '--input', 'ok.csv', '--json'],
      [`${m}/weights.bin`, 'sha256'],
    );
  });

  it('a directory that is not a model', async () => {
    await expectRefusedWithOut(exportFrom('nowhere'), ['nowhere', 'not a model directory', 'model.json']);
  });

  it('init from a corrupt library directory', async () => {
    const m = corruptModel((d) => editText(join(d, 'library.json'), '"tail": "extend"', '"tail": "wobbly"'));
    await expectRefusedWithOut(initWith(m), [`${m}/library.json`, "field 'tail'"]);
    await expectRefusedWithOut(initWith('no-such-library'), ["library 'no-such-library'", 'no library.json']);
  });
});

describe.concurrent('bad flags', () => {
  it('an unknown profile name lists the known ones', async () => {
    await expectRefusedWithOut(
      ['export', '--model', GOOD, '--profile', 'pi9', '--quant', 'fp32'],
      ["unknown firmware profile 'pi9'", 'jetson-orin-nano, pi-zero-2w, pi4, pi5'],
    );
  });

  it('a profile file with more threads than cores names the file and the field', async () => {
    const profile = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../firmware-profiles/pi4.json'), 'utf8'),
    );
    writeFileSync(join(work, 'greedy.json'), JSON.stringify({ ...profile, threads: 8 }));
    await expectRefusedWithOut(
      ['export', '--model', GOOD, '--profile', 'greedy.json', '--quant', 'fp32'],
      ['greedy.json', "field 'threads'"],
    );
  });

  it('an unknown --quant lists the allowed ones', async () => {
    await expectRefusedWithOut(
      ['export', '--model', GOOD, '--profile', 'pi4', '--quant', 'fp8'],
      ["--quant must be one of fp32, fp16, int8, got 'fp8'"],
    );
    await expectRefused(['predict', '--model', GOOD, '--input', 'ok.csv', '--quant', 'int4'], ["got 'int4'"]);
    await expectRefused(
      ['predict', '--model', GOOD, '--input', 'ok.csv', '--engine', 'gpu'],
      ["--engine must be one of ts, onnx, got 'gpu'"],
    );
  });

  it('a missing required flag is named', async () => {
    await expectRefusedWithOut(
      ['export', '--profile', 'pi4', '--quant', 'fp32'],
      ['liquidkan export: --model is required'],
    );
    await expectRefusedWithOut(
      ['init', '--library', 'classic', '--inputs', '3', '--outputs', '2', '--seed', '1'],
      ['liquidkan init: --hidden is required'],
    );
    await expectRefused(['predict', '--model', GOOD], ['--input is required']);
    await expectRefused(
      ['export', '--model', GOOD, '--profile', 'pi4', '--quant', 'fp32'],
      ['--out is required'],
    );
  });

  it('a non-integer --hidden is refused, however it is spelled', async () => {
    await Promise.all(
      ['2.5', 'four', '0x4', '1e1', '0', ''].map((hidden) =>
        expectRefusedWithOut(initWith('classic', hidden), [
          `--hidden must be an integer ≥ 1, got '${hidden}'`,
        ]),
      ),
    );
  });

  it('an unknown flag is named', async () => {
    await expectRefusedWithOut([...initWith('classic'), '--hiden', '4'], ["'--hiden'"]);
  });

  it('an --out that is an existing file is not replaced by a directory', async () => {
    writeFileSync(join(work, 'notes.txt'), 'keep me\n');
    await expectRefused([...exportFrom(GOOD), '--out', 'notes.txt'], ['notes.txt', 'not a directory']);
    await expectRefused([...initWith('classic'), '--out', 'notes.txt'], ['notes.txt', 'not a directory']);
    expect(readFileSync(join(work, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect(tempSiblings('notes.txt')).toEqual([]);
  });
});

describe.concurrent('a bad predict CSV', () => {
  const predictOn = (csv: string, text: string) => {
    writeFileSync(join(work, csv), text);
    return ['predict', '--model', GOOD, '--input', csv, '--json'];
  };

  it('NaN names the line and the column', async () => {
    await expectRefused(predictOn('nan.csv', 'temp,hum,wind\n1,2,3\n4,NaN,6\n'), [
      "nan.csv: line 3, column 2 ('hum') holds 'NaN', which is not a finite number",
    ]);
  });

  it('infinity names the line and the column, with or without a header', async () => {
    await expectRefused(predictOn('inf.csv', '1,2,3\n4,5,inf\n'), ["inf.csv: line 2, column 3 holds 'inf'"]);
    await expectRefused(predictOn('ninf.csv', '1,2,3\n-Infinity,5,6\n'), [
      "ninf.csv: line 2, column 1 holds '-Infinity'",
    ]);
    await expectRefused(predictOn('big.csv', 'a,b,c\n1,2,3\n1,1e999,3\n'), [
      "big.csv: line 3, column 2 ('b') holds '1e999'",
    ]);
  });

  it('an empty cell names the line and the column, even on the first row', async () => {
    await expectRefused(predictOn('empty.csv', '1,2,3\n4,,6\n'), ["empty.csv: line 2, column 2 holds ''"]);
    await expectRefused(predictOn('empty1.csv', '1,,3\n4,5,6\n'), ["empty1.csv: line 1, column 2 holds ''"]);
  });

  it('line numbers count blank and comment lines', async () => {
    await expectRefused(predictOn('gaps.csv', '# station 4\na,b,c\n\n1,2,3\n\n4,5,x\n'), [
      "gaps.csv: line 6, column 3 ('c')",
    ]);
  });

  it('a row with the wrong number of columns names its line', async () => {
    await expectRefused(predictOn('short.csv', 'a,b,c\n1,2,3\n4,5\n'), [
      'short.csv: line 3 has 2 columns, expected 3',
    ]);
  });

  it('a table with a different column count than the model inputs', async () => {
    await expectRefused(predictOn('narrow.csv', '1,2\n3,4\n'), [
      'narrow.csv: has 2 columns, the model takes 3 inputs',
    ]);
  });

  it('a missing CSV file', async () => {
    await expectRefused(
      ['predict', '--model', GOOD, '--input', 'absent.csv'],
      ['absent.csv: cannot read the CSV file'],
    );
  });
});
