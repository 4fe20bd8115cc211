/**
 * CSV replay: rows of a numeric CSV file (or stdin) become samples, optionally paced at a fixed
 * rate. Columns are matched to the model's inputs by name when their names are known (the
 * bundle manifest's or training record's input columns), and a headed CSV lacking one of them is
 * refused, naming it; without names (or a header) the non-target columns are taken in order. A row with a
 * missing, NaN or non-numeric input cell is skipped and counted; a row with the wrong number of
 * cells counts as malformed. Unlike shared/io/csv.ts (strict, for training data), nothing here
 * throws on a bad row: a sensor that glitches must not stop the device.
 */
import { InputError } from '../../shared/errors.js';
import { type ByteSource, lines } from './source.js';
import { type InputAdapter, type InputCounters, type LogLine, mutableSample, type Sample } from './types.js';

export interface CsvAdapterOptions {
  readonly inputs: number;
  readonly outputs: number;
  /** Input column names in model order, when the model's training record has them. */
  readonly inputNames?: readonly string[] | null;
  /** Where the names came from, for the error a missing column gets. @defaultValue 'the model' */
  readonly inputNamesFrom?: string | null;
  /** Label columns (names, or 0-based indices without a header), one per model output. */
  readonly target?: readonly string[] | null;
  /** Replay rate in rows per second; null or 0 = as fast as possible. */
  readonly rateHz?: number | null;
  /** Data rows, when known (a file), for the loop's midpoint. */
  readonly expectedRows?: number | null;
  readonly counters: InputCounters;
  readonly log: LogLine;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function cells(line: string): string[] {
  return line.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
}

interface Mapping {
  readonly width: number;
  readonly x: number[];
  readonly y: number[] | null;
}

function mapColumns(columns: string[], hasHeader: boolean, o: CsvAdapterOptions, src: string): Mapping {
  const find = (name: string): number => {
    const byName = columns.indexOf(name);
    if (byName >= 0) return byName;
    const k = /^c?(\d+)$/.exec(name);
    if (k && Number(k[1]) < columns.length) return Number(k[1]);
    throw new InputError(`${src}: no column '${name}' (columns: ${columns.join(', ')})`);
  };
  const y = o.target?.length ? o.target.map(find) : null;
  if (y && y.length !== o.outputs) {
    throw new InputError(`--target names ${y.length} column(s), the model has ${o.outputs} output(s)`);
  }
  const names = o.inputNames;
  let x: number[];
  if (hasHeader && names && names.length === o.inputs) {
    // the model was trained on these columns: any other column in their place is a wrong input
    const missing = names.filter((n) => !columns.includes(n));
    if (missing.length) {
      throw new InputError(
        `${src}: no input column ${missing.map((n) => `'${n}'`).join(', ')}; the model reads ${names.join(', ')} (named by ${o.inputNamesFrom ?? 'the model'}); columns: ${columns.join(', ')}`,
      );
    }
    x = names.map((n) => columns.indexOf(n));
  } else {
    // the non-target columns in order; a forecaster of its own input also reads the target column
    const all = columns.map((_, i) => i);
    x = all.filter((i) => !y?.includes(i));
    if (x.length < o.inputs) x = all;
    if (x.length < o.inputs) {
      throw new InputError(
        `${src}: ${x.length} input column(s) besides the target, the model takes ${o.inputs} (columns: ${columns.join(', ')})`,
      );
    }
    x = x.slice(0, o.inputs);
  }
  return { width: columns.length, x, y };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function csvAdapter(source: ByteSource, o: CsvAdapterOptions): InputAdapter {
  return {
    kind: 'csv',
    expectedSamples: o.expectedRows ?? null,
    async *samples(): AsyncIterable<Sample> {
      const s = mutableSample(o.inputs, null);
      const ybuf = new Float64Array(o.outputs);
      let map: Mapping | null = null;
      let lineNo = 0;
      let row = 0;
      const t0 = performance.now();
      const periodMs = o.rateHz && o.rateHz > 0 ? 1000 / o.rateHz : 0;
      for await (const line of lines(source.chunks())) {
        lineNo++;
        if (line.trim() === '' || line.startsWith('#')) continue;
        const c = cells(line);
        if (!map) {
          const hasHeader = c.some((v) => v !== '' && !NUMBER.test(v) && !/^[+-]?(nan|inf)/i.test(v));
          map = mapColumns(
            hasHeader ? c : c.map((_, i) => `c${i}`),
            hasHeader,
            { ...o, target: o.target ?? null },
            source.name,
          );
          if (hasHeader) continue;
        }
        if (c.length !== map.width) {
          o.counters.malformed++;
          o.log(`${source.name}: line ${lineNo} has ${c.length} cells, expected ${map.width}; skipped`);
          continue;
        }
        let ok = true;
        for (let j = 0; j < map.x.length; j++) {
          const cell = c[map.x[j]!]!;
          const v = NUMBER.test(cell) ? Number(cell) : Number.NaN;
          if (!Number.isFinite(v)) ok = false;
          s.x[j] = v;
        }
        if (!ok) {
          o.counters.nonFinite++;
          continue;
        }
        if (map.y) {
          let labelled = true;
          for (let j = 0; j < map.y.length; j++) {
            const cell = c[map.y[j]!]!;
            const v = NUMBER.test(cell) ? Number(cell) : Number.NaN;
            if (!Number.isFinite(v)) labelled = false;
            ybuf[j] = v;
          }
          s.y = labelled ? ybuf : null;
        }
        if (periodMs > 0) {
          const wait = t0 + row * periodMs - performance.now();
          if (wait > 0) await sleep(wait);
        }
        row++;
        yield s;
      }
      if (!map) o.log(`${source.name}: no data rows`);
    },
  };
}
