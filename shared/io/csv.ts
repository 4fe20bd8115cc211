/**
 * Numeric CSV reading for models and time series. Every cell must be a finite number: a NaN,
 * an infinity or a wrong column count is an error naming the file, the line and the column,
 * because silently skipping sensor rows would shift every window after them.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface NumericTable {
  /** Column names: from the header row, or c0, c1, … when there is none. */
  readonly columns: readonly string[];
  /** Row-major values, rows × columns. */
  readonly values: Float64Array;
  readonly rows: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function splitLine(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

export function parseNumericCsv(text: string, source: string): NumericTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new InputError(`${source}: the CSV has no rows`);
  const first = splitLine(lines[0]!);
  const hasHeader = first.some((cell) => !NUMBER.test(cell) && !/^[+-]?(nan|inf(inity)?)$/i.test(cell));
  const columns = hasHeader ? first : first.map((_, i) => `c${i}`);
  const body = hasHeader ? lines.slice(1) : lines;
  if (body.length === 0) throw new InputError(`${source}: the CSV has a header but no data rows`);
  const width = columns.length;
  const values = new Float64Array(body.length * width);
  for (let r = 0; r < body.length; r++) {
    const cells = splitLine(body[r]!);
    const lineNo = r + (hasHeader ? 2 : 1);
    if (cells.length !== width) {
      throw new InputError(`${source}: line ${lineNo} has ${cells.length} columns, expected ${width}`);
    }
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!;
      const v = NUMBER.test(cell) ? Number(cell) : Number.NaN;
      if (!Number.isFinite(v)) {
        throw new InputError(
          `${source}: line ${lineNo}, column '${columns[c]}' holds '${cell}', which is not a finite number`,
        );
      }
      values[r * width + c] = v;
    }
  }
  return { columns, values, rows: body.length };
}

export function readNumericCsv(path: string): NumericTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`${path}: cannot read the CSV file (${(err as Error).message})`, { cause: err });
  }
  return parseNumericCsv(text, path);
}

/** The named columns as a rows × names.length matrix, in the order given. */
export function selectColumns(table: NumericTable, names: readonly string[], source: string): Float64Array {
  const idx = names.map((n) => {
    const i = table.columns.indexOf(n);
    if (i < 0) throw new InputError(`${source}: no column '${n}' (columns: ${table.columns.join(', ')})`);
    return i;
  });
  const out = new Float64Array(table.rows * idx.length);
  const w = table.columns.length;
  for (let r = 0; r < table.rows; r++) {
    for (let j = 0; j < idx.length; j++) out[r * idx.length + j] = table.values[r * w + idx[j]!]!;
  }
  return out;
}
