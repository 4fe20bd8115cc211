/**
 * Numeric CSV: the header is optional, CRLF and quoted cells read like plain ones, and every cell
 * that is not a finite number (NaN, infinities, empty) is refused naming its line and column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import { parseNumericCsv, readNumericCsv, selectColumns } from '../../../shared/io/csv.js';

const parse = (text: string) => parseNumericCsv(text, 'in.csv');

describe('reading numeric CSV', () => {
  it('a header row names the columns', () => {
    const t = parse('temp,hum\n1.5,2\n-3,4e-2\n');
    expect(t.columns).toEqual(['temp', 'hum']);
    expect(t.rows).toBe(2);
    expect(Array.from(t.values)).toEqual([1.5, 2, -3, 0.04]);
  });

  it('without a header the first row is data and the columns are c0, c1, …', () => {
    const t = parse('1,2,3\n4,5,6');
    expect(t.columns).toEqual(['c0', 'c1', 'c2']);
    expect(t.rows).toBe(2);
    expect(Array.from(t.values)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('CRLF line ends, a byte-order mark and spaces around cells read like plain LF', () => {
    const plain = parse('a,b\n1,2\n3,4\n');
    expect(parse('\uFEFFa,b\r\n1,2\r\n3,4\r\n')).toEqual(plain);
    expect(parse('a , b\n 1,2 \n3 ,\t4\n')).toEqual(plain);
  });

  it('quoted cells: numbers in quotes, commas and doubled quotes inside quoted names', () => {
    const t = parse('"wind, m/s","say ""hi""",plain\r\n"1.5","-2",3\r\n4,"5e1", "6"\r\n');
    expect(t.columns).toEqual(['wind, m/s', 'say "hi"', 'plain']);
    expect(Array.from(t.values)).toEqual([1.5, -2, 3, 4, 50, 6]);
  });

  it('blank lines and # comment lines are skipped', () => {
    const t = parse('# sensor 4\n\na,b\n\n1,2\n# gap\n3,4\n\n');
    expect(t.rows).toBe(2);
    expect(Array.from(t.values)).toEqual([1, 2, 3, 4]);
  });

  it('number forms: signs, leading and trailing dots, exponents', () => {
    expect(Array.from(parse('+1,-.5,2.,1E3,-2e-2\n').values)).toEqual([1, -0.5, 2, 1000, -0.02]);
  });

  it('selectColumns picks named columns in the order asked for', () => {
    const t = parse('a,b,c\n1,2,3\n4,5,6\n');
    expect(Array.from(selectColumns(t, ['c', 'a'], 'in.csv'))).toEqual([3, 1, 6, 4]);
    expect(() => selectColumns(t, ['d'], 'in.csv')).toThrow("in.csv: no column 'd' (columns: a, b, c)");
  });
});

describe('refusing what is not a finite number', () => {
  const cases: [string, string, string][] = [
    [
      'NaN with a header',
      'a,b\n1,2\n3,NaN\n',
      "in.csv: line 3, column 2 ('b') holds 'NaN', which is not a finite number",
    ],
    ['nan on the first row without a header', '1,nan\n3,4\n', "in.csv: line 1, column 2 holds 'nan'"],
    ['inf', '1,2\ninf,4\n', "in.csv: line 2, column 1 holds 'inf'"],
    ['-Infinity', 'x,y\n1,-Infinity\n', "in.csv: line 2, column 2 ('y') holds '-Infinity'"],
    ['an overflowing literal', '1,2\n1e400,4\n', "in.csv: line 2, column 1 holds '1e400'"],
    ['an empty cell', '1,2,3\n4,,6\n', "in.csv: line 2, column 2 holds ''"],
    [
      'an empty cell on the first row (not mistaken for a header)',
      '1,,3\n4,5,6\n',
      "in.csv: line 1, column 2 holds ''",
    ],
    ['a trailing comma', '1,2,\n4,5,6\n', "in.csv: line 1, column 3 holds ''"],
    ['an empty quoted cell', 'a,b\n"",2\n', "in.csv: line 2, column 1 ('a') holds ''"],
    ['a word among numbers', 'a,b\n1,2\n3,four\n', "in.csv: line 3, column 2 ('b') holds 'four'"],
    ['a hex literal', 'a,b\n0x10,2\n', "in.csv: line 2, column 1 ('a') holds '0x10'"],
    ['NaN after CRLF lines', 'a,b\r\n1,2\r\n3,NaN\r\n', "in.csv: line 3, column 2 ('b') holds 'NaN'"],
  ];
  for (const [what, text, message] of cases) {
    it(`${what}: names the line and column`, () => {
      expect(() => parse(text)).toThrow(InputError);
      expect(() => parse(text)).toThrow(message);
    });
  }

  it('line numbers are the file’s own, counting blank and comment lines', () => {
    expect(() => parse('# header follows\na,b\n\n1,2\n\n3,NaN\n')).toThrow("in.csv: line 6, column 2 ('b')");
  });

  it('a row with the wrong number of columns names its line', () => {
    expect(() => parse('a,b,c\n1,2,3\n4,5\n')).toThrow('in.csv: line 3 has 2 columns, expected 3');
    expect(() => parse('1,2\n3,4,5\n')).toThrow('in.csv: line 2 has 3 columns, expected 2');
  });

  it('an unclosed quote or text after a closing quote names the line', () => {
    expect(() => parse('a,b\n"1,2\n')).toThrow('in.csv: line 2: a quoted cell is not closed');
    expect(() => parse('a,b\n"1"x,2\n')).toThrow('in.csv: line 2: text after the closing quote of column 1');
  });

  it('no rows, or a header without rows', () => {
    expect(() => parse('')).toThrow('in.csv: the CSV has no rows');
    expect(() => parse('\n# only a comment\n')).toThrow('in.csv: the CSV has no rows');
    expect(() => parse('a,b\n')).toThrow('in.csv: the CSV has a header but no data rows');
  });
});

describe('readNumericCsv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'liquidkan-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', () => {
    const file = join(dir, 'x.csv');
    writeFileSync(file, 'a\n1\n2\n');
    expect(Array.from(readNumericCsv(file).values)).toEqual([1, 2]);
    writeFileSync(file, 'a\n1\nNaN\n');
    expect(() => readNumericCsv(file)).toThrow(`${file}: line 3, column 1 ('a')`);
  });

  it('a missing file is an InputError naming the path', () => {
    const file = join(dir, 'absent.csv');
    expect(() => readNumericCsv(file)).toThrow(InputError);
    expect(() => readNumericCsv(file)).toThrow(`${file}: cannot read the CSV file`);
  });
});
