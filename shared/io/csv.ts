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
const NON_FINITE = /^[+-]?(nan|inf(inity)?)$/i;

/**
 * One line's cells: split on commas outside double quotes, `""` inside quotes is a literal
 * quote, and spaces around a cell are dropped.
 */
function splitLine(line: string, where: string): string[] {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new InputError(`${where}: a quoted cell is not closed`);
        if (line[i] === '"' && line[i + 1] === '"') {
          cell += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else cell += line[i++];
      }
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (i < line.length && line[i] !== ',') {
        throw new InputError(`${where}: text after the closing quote of column ${cells.length + 1}`);
      }
    } else {
      const end = line.indexOf(',', i);
      cell = line.slice(i, end < 0 ? line.length : end).trim();
      i = end < 0 ? line.length : end;
    }
    cells.push(cell);
    if (i >= line.length) return cells;
    i++;
  }
}

export function parseNumericCsv(text: string, source: string): NumericTable {
  // Line numbers are the file's own (1-based, counting blank and # comment lines), so a
  // message points at the line an editor shows.
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line, i) => ({ line, no: i + 1 }))
    .filter(({ line }) => line.trim() !== '' && !line.startsWith('#'));
  if (lines.length === 0) throw new InputError(`${source}: the CSV has no rows`);
  const first = splitLine(lines[0]!.line, `${source}: line ${lines[0]!.no}`);
  // A header has at least one cell that is a name; an empty cell is a missing value, not a name.
  const hasHeader = first.some((cell) => cell !== '' && !NUMBER.test(cell) && !NON_FINITE.test(cell));
  const columns = hasHeader ? first : first.map((_, i) => `c${i}`);
  const body = hasHeader ? lines.slice(1) : lines;
  if (body.length === 0) throw new InputError(`${source}: the CSV has a header but no data rows`);
  const width = columns.length;
  const values = new Float64Array(body.length * width);
  for (let r = 0; r < body.length; r++) {
    const { line, no } = body[r]!;
    const cells = splitLine(line, `${source}: line ${no}`);
    if (cells.length !== width) {
      throw new InputError(`${source}: line ${no} has ${cells.length} columns, expected ${width}`);
    }
    for (let c = 0; c < width; c++) {
      const cell = cells[c]!;
      const v = NUMBER.test(cell) ? Number(cell) : Number.NaN;
      if (!Number.isFinite(v)) {
        const column = hasHeader ? `column ${c + 1} ('${columns[c]}')` : `column ${c + 1}`;
        throw new InputError(
          `${source}: line ${no}, ${column} holds '${cell}', which is not a finite number`,
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
