/**
 * Input adapters never die on bad input: CSV rows with NaN, empty or non-numeric cells are
 * skipped and counted, rows with the wrong cell count are malformed; JSON lines that do not parse
 * are skipped, counted and logged; voice clips from the streaming extractor equal the training
 * features of the same audio.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { VOICE_CLIP, voiceFeatures } from '../../../cloud/tasks/voice.js';
import { ClipAssembler, DEVICE_VOICE_CLIP } from '../../../device/adapters/clips.js';
import { csvAdapter } from '../../../device/adapters/csv.js';
import { jsonlAdapter } from '../../../device/adapters/jsonl.js';
import { detectFormat, openSource } from '../../../device/adapters/source.js';
import { newCounters, type Sample } from '../../../device/adapters/types.js';
import { Rng } from '../../../shared/numeric/rng.js';

async function collect(it: AsyncIterable<Sample>) {
  const out: { x: number[]; y: number[] | null; dt: number | null }[] = [];
  for await (const s of it) out.push({ x: Array.from(s.x), y: s.y ? Array.from(s.y) : null, dt: s.dt });
  return out;
}

function stdinOf(text: string) {
  return openSource('-', Readable.from([Buffer.from(text)]));
}

describe('csv adapter', () => {
  it('skips and counts NaN, empty and garbage rows, and maps inputs by name', async () => {
    const text = 'y,b,a\n1,2,3\n2,nan,4\n3,,5\n4,x,6\n5,6\n6,7,8\n';
    const counters = newCounters();
    const logs: string[] = [];
    const a = csvAdapter(await stdinOf(text), {
      inputs: 2,
      outputs: 1,
      inputNames: ['a', 'b'],
      target: ['y'],
      counters,
      log: (l) => logs.push(l),
    });
    const rows = await collect(a.samples());
    expect(rows.map((r) => r.x)).toEqual([
      [3, 2],
      [8, 7],
    ]);
    expect(rows.map((r) => r.y)).toEqual([[1], [6]]);
    expect(counters).toEqual({ nonFinite: 3, malformed: 1, clamped: 0 });
    expect(logs.join('\n')).toMatch(/line 6 has 2 cells, expected 3/);
  });

  it('takes the non-target columns in order without names, the target too for its own forecaster', async () => {
    const counters = newCounters();
    const two = csvAdapter(await stdinOf('p,q,r\n1,2,3\n'), {
      inputs: 2,
      outputs: 1,
      target: ['q'],
      counters,
      log: () => {},
    });
    expect((await collect(two.samples()))[0]).toMatchObject({ x: [1, 3], y: [2] });
    const own = csvAdapter(await stdinOf('co2\n1\n2\n'), {
      inputs: 1,
      outputs: 1,
      target: ['co2'],
      counters,
      log: () => {},
    });
    expect((await collect(own.samples())).map((r) => [r.x[0], r.y?.[0]])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});

describe('jsonl adapter', () => {
  it('skips malformed lines with a log line and keeps going', async () => {
    const text = [
      '{"x":[1,2],"y":[3],"dt":0.5}',
      '{not json',
      '{"x":[1]}',
      '{"x":[1,null]}',
      '[1,2]',
      '{"x":[4,5]}',
    ].join('\n');
    const counters = newCounters();
    const logs: string[] = [];
    const rows = await collect(
      jsonlAdapter(await stdinOf(text), {
        inputs: 2,
        outputs: 1,
        counters,
        log: (l) => logs.push(l),
      }).samples(),
    );
    expect(rows).toEqual([
      { x: [1, 2], y: [3], dt: 0.5 },
      { x: [4, 5], y: null, dt: null },
    ]);
    expect(counters.malformed).toBe(3);
    expect(counters.nonFinite).toBe(1);
    expect(logs).toHaveLength(3);
    expect(logs[0]).toMatch(/stdin: line 2: not JSON/);
  });

  it('detects WAV by its RIFF header and JSON lines on stdin', async () => {
    expect(detectFormat('auto', await stdinOf('RIFF....WAVE'))).toBe('wav');
    expect(detectFormat('auto', await stdinOf('{"x":[1]}\n'))).toBe('jsonl');
  });
});

describe('voice clips', () => {
  it('uses the voice task clip configuration', () => {
    expect(DEVICE_VOICE_CLIP).toEqual(VOICE_CLIP);
  });

  it('makes a first clip equal to the training features, then one every hop (100 ms, as on the device)', () => {
    const rng = new Rng(5);
    const audio = new Float32Array(24000);
    for (let i = 0; i < audio.length; i++)
      audio[i] = 0.3 * Math.sin(i * 0.05) * Math.sin(i * 0.0007) + 0.01 * rng.normal();
    const asm = new ClipAssembler();
    const clips: { index: number; tEnd: number; f: Float64Array }[] = [];
    for (let at = 0; at < audio.length; at += 777) {
      for (const c of asm.push(audio.subarray(at, at + 777)))
        clips.push({ index: c.index, tEnd: c.tEnd, f: c.features.slice() });
    }
    expect(clips.map((c) => c.tEnd)).toEqual([1, 1.1, 1.2, 1.3, 1.4, 1.5]);
    const ref = voiceFeatures(audio.subarray(0, 16000), 16000);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ref[i]! - clips[0]!.f[i]!));
    expect(maxDiff).toBeLessThan(1e-9);
  });

  it('pads audio shorter than a clip into one clip', () => {
    const asm = new ClipAssembler();
    const short = new Float32Array(9000).map((_, i) => Math.sin(i * 0.1));
    expect([...asm.push(short)]).toHaveLength(0);
    const last = [...asm.finish()];
    expect(last).toHaveLength(1);
    const ref = voiceFeatures(short, 16000);
    expect(Math.max(...ref.map((v, i) => Math.abs(v - last[0]!.features[i]!)))).toBeLessThan(1e-9);
  });
});
