/**
 * JSON lines, one sample per line: {"x": [...inputs], "y": [...outputs]?, "dt": number?, "t": any?}.
 * A line that is not JSON or has no usable "x" is skipped, counted as malformed and logged; an
 * x with a null, NaN or missing value is skipped and counted as non-finite; a bad "y" only drops
 * the label and a bad "dt" falls back to the model's default.
 */
import type { ByteSource } from './source.js';
import { lines } from './source.js';
import { type InputAdapter, type InputCounters, type LogLine, mutableSample, type Sample } from './types.js';

export interface JsonlAdapterOptions {
  readonly inputs: number;
  readonly outputs: number;
  readonly counters: InputCounters;
  readonly log: LogLine;
}

/** Copies a JSON array of numbers into out; false when it is not exactly that. */
function readNumbers(v: unknown, out: Float64Array): boolean {
  if (!Array.isArray(v) || v.length !== out.length) return false;
  let ok = true;
  for (let i = 0; i < out.length; i++) {
    const n = v[i];
    out[i] = typeof n === 'number' ? n : Number.NaN;
    if (!Number.isFinite(out[i]!)) ok = false;
  }
  return ok;
}

export function jsonlAdapter(source: ByteSource, o: JsonlAdapterOptions): InputAdapter {
  return {
    kind: 'jsonl',
    expectedSamples: null,
    async *samples(): AsyncIterable<Sample> {
      const s = mutableSample(o.inputs, null);
      const ybuf = new Float64Array(o.outputs);
      let lineNo = 0;
      for await (const line of lines(source.chunks())) {
        lineNo++;
        if (line.trim() === '') continue;
        let rec: unknown;
        try {
          rec = JSON.parse(line);
        } catch (err) {
          o.counters.malformed++;
          o.log(`${source.name}: line ${lineNo}: not JSON (${(err as Error).message}); skipped`);
          continue;
        }
        const r = rec as { x?: unknown; y?: unknown; dt?: unknown; t?: unknown } | null;
        if (typeof r !== 'object' || r === null || !Array.isArray(r.x)) {
          o.counters.malformed++;
          o.log(`${source.name}: line ${lineNo}: expected an object with an "x" array; skipped`);
          continue;
        }
        if (r.x.length !== o.inputs) {
          o.counters.malformed++;
          o.log(
            `${source.name}: line ${lineNo}: "x" has ${r.x.length} values, the model takes ${o.inputs}; skipped`,
          );
          continue;
        }
        if (!readNumbers(r.x, s.x)) {
          o.counters.nonFinite++;
          continue;
        }
        s.y = r.y !== undefined && readNumbers(r.y, ybuf) ? ybuf : null;
        s.dt = typeof r.dt === 'number' && Number.isFinite(r.dt) && r.dt > 0 ? r.dt : null;
        s.t = typeof r.t === 'number' && Number.isFinite(r.t) ? r.t : null;
        yield s;
      }
    },
  };
}
