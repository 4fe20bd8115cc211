/**
 * `liquidkan device` as a user runs it: a CSV replay prints one line per step and a summary with
 * the agreed fields; bad rows are skipped and counted; corrupt bundles and models over the
 * profile's size budget are refused with exit code 2; --engine wasm runs on wasm; JSON lines
 * arrive on stdin; a spoken word in a WAV file gives detections, and with --clip-lines one class line per clip.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderSpeech } from '../../cloud/tasks/voice-render.js';
import { exportModel, writeBundle } from '../../shared/export/export.js';
import { classicLibrary } from '../../shared/library/library.js';
import { initModel } from '../../shared/model/init.js';
import { saveModelDir } from '../../shared/model/store.js';
import { loadProfile } from '../../shared/profiles.js';
import { tinyModel } from '../helpers/models.js';
import { buildCliOnce, type CliResult, ROOT, runCli, tempDir } from './cli-harness.js';

let work: string;
const SUMMARY_KEYS = [
  'clamped_values',
  'drift_events',
  'engine',
  'latency_budget',
  'latency_us',
  'memory',
  'mse_first_half',
  'mse_second_half',
  'residual_test_mse',
  'selections',
  'skipped_samples',
  'steps',
  'tau',
];

function runWithStdin(args: readonly string[], input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'bin', 'liquidkan.js'), ...args],
      { cwd: work, timeout: 30_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

const lastJson = (r: CliResult) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-device');
  const pi4 = loadProfile('pi4');
  const model = tinyModel({ activation: 'tanh', hidden: 8 });
  saveModelDir(join(work, 'model'), model);
  writeBundle(join(work, 'bundle'), exportModel(model, { profile: pi4, quant: 'fp32' }));
  const rows = Array.from({ length: 60 }, (_, t) => [
    Math.sin(t / 5),
    Math.cos(t / 7),
    t / 60,
    Math.sin(t / 4),
    0.5,
  ]);
  writeFileSync(join(work, 'data.csv'), `a,b,c,y0,y1\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  const bad = [...rows.slice(0, 10).map((r) => r.join(',')), 'nan,1,2,0,0', 'x,y', 'garbage,1,2,3,4', ',,,,'];
  writeFileSync(join(work, 'bad.csv'), `a,b,c,y0,y1\n${bad.join('\n')}\n`);
  writeFileSync(join(work, 'tiny.json'), JSON.stringify({ ...pi4, name: 'tiny', modelSizeBudgetBytes: 512 }));
  const voice = initModel({
    library: classicLibrary(),
    inputs: 20,
    hidden: 8,
    outputs: 7,
    seed: 2,
    activation: 'tanh',
  });
  saveModelDir(join(work, 'voice'), voice);
});

const COMMON = ['--profile', 'pi4', '--no-latency-check', '--threads', '1'];

describe('liquidkan device', () => {
  it('replays a CSV with one line per step and a summary with the agreed fields', async () => {
    const r = await runCli(
      ['device', '--model', 'bundle', '--input', 'data.csv', '--target', 'y0,y1', ...COMMON, '--json'],
      work,
    );
    expect(r.stderr).toMatch(
      /running bundle bundle on (js|native) .*startup benchmark: js [\d.]+ µs, native [\d.]+ µs/,
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(61);
    expect(JSON.parse(lines[0]!)).toMatchObject({ step: 0, y: [expect.any(Number), expect.any(Number)] });
    const s = lastJson(r);
    expect(Object.keys(s).sort()).toEqual(SUMMARY_KEYS);
    // auto: the faster of the compiled engine and onnxruntime-node at startup, both checked
    expect(s).toMatchObject({
      steps: 60,
      engine: { name: expect.stringMatching(/^(js|native)$/), threads: 1 },
    });
    const engine = s['engine'] as { candidates: { engine: string; status: string }[] };
    expect(engine.candidates.map((c) => c.engine).sort()).toEqual(['js', 'native']);
    expect(s['mse_first_half']).toBeGreaterThan(0);
    expect(s['mse_second_half']).toBeGreaterThan(0);
    expect((s['latency_us'] as { p50: number }).p50).toBeGreaterThan(0);
    expect((s['tau'] as { initial: { min: number } }).initial.min).toBeGreaterThan(0);
  });

  it('skips and counts NaN and garbage rows without dying', async () => {
    const r = await runCli(
      [
        'device',
        '--model',
        'bundle',
        '--input',
        'bad.csv',
        '--target',
        'y0,y1',
        ...COMMON,
        '--json',
        '--quiet',
      ],
      work,
    );
    expect(r.code).toBe(0);
    const s = lastJson(r);
    expect(s['steps']).toBe(10);
    expect(s['skipped_samples']).toEqual({ total: 4, non_finite: 3, malformed: 1 });
    expect(r.stderr).toMatch(/bad\.csv: line 13 has 2 cells, expected 5; skipped/);
  });

  it('refuses a bundle with a corrupt or truncated step graph', async () => {
    const file = join(work, 'bundle', 'model.onnx');
    const original = readFileSync(file);
    try {
      const flipped = Buffer.from(original);
      flipped[flipped.length - 1] ^= 0xff;
      writeFileSync(file, flipped);
      const r = await runCli(['device', '--model', 'bundle', '--input', 'data.csv', ...COMMON], work);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /model\.onnx: sha256 [0-9a-f]+ does not match manifest\.json step\.file\.sha256/,
      );
      writeFileSync(file, original.subarray(0, 64));
      const t = await runCli(['device', '--model', 'bundle', '--input', 'data.csv', ...COMMON], work);
      expect(t.code).toBe(2);
      expect(t.stderr).toMatch(
        /is 64 bytes, manifest\.json step\.file\.bytes says \d+ \(truncated or replaced\)/,
      );
    } finally {
      writeFileSync(file, original);
    }
  });

  it("refuses a model over a custom profile's size budget", async () => {
    const r = await runCli(
      ['device', '--model', 'model', '--profile', 'tiny.json', '--input', 'data.csv', '--quant', 'fp32'],
      work,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/over profile 'tiny' budget of 512 bytes/);
  });

  it('runs on the wasm engine and says so', async () => {
    const r = await runCli(
      [
        'device',
        '--model',
        'bundle',
        '--input',
        'data.csv',
        '--engine',
        'wasm',
        ...COMMON,
        '--json',
        '--quiet',
      ],
      work,
    );
    expect(r.code).toBe(0);
    expect(lastJson(r)['engine']).toMatchObject({ name: 'wasm', fallbacks: [] });
  });

  it('reads JSON lines on stdin, skipping malformed ones', async () => {
    const input = [
      '{"x":[0.1,0.2,0.3],"y":[0,1]}',
      'oops',
      '{"x":[1,2,3],"dt":0.5}',
      '{"x":[1,"a",3]}',
      '',
    ].join('\n');
    const r = await runWithStdin(['device', '--model', 'bundle', '--input', '-', ...COMMON, '--json'], input);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[1]!)).toMatchObject({ step: 1 });
    const s = lastJson(r);
    expect(s).toMatchObject({ steps: 2, skipped_samples: { total: 2, non_finite: 1, malformed: 1 } });
    expect(s['mse_first_half']).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/stdin: line 2: not JSON/);
  });

  it('resamples WAVs at other rates and formats, counts NaN samples, and refuses broken ones by name', async () => {
    /** A WAVE file of `frames` sample frames: 8-bit unsigned or 32-bit float, any channels and rate. */
    const wavBytes = (
      format: 'u8' | 'f32',
      channels: number,
      rate: number,
      frames: number,
      at: (i: number) => number,
    ) => {
      const bytes = format === 'u8' ? 1 : 4;
      const data = Buffer.alloc(frames * channels * bytes);
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < channels; c++) {
          const o = (i * channels + c) * bytes;
          if (format === 'u8') data[o] = Math.round(128 + 100 * at(i));
          else data.writeFloatLE(at(i), o);
        }
      }
      const h = Buffer.alloc(44);
      h.write('RIFF', 0, 'latin1');
      h.writeUInt32LE(36 + data.length, 4);
      h.write('WAVEfmt ', 8, 'latin1');
      h.writeUInt32LE(16, 16);
      h.writeUInt16LE(format === 'u8' ? 1 : 3, 20);
      h.writeUInt16LE(channels, 22);
      h.writeUInt32LE(rate, 24);
      h.writeUInt32LE(rate * channels * bytes, 28);
      h.writeUInt16LE(channels * bytes, 32);
      h.writeUInt16LE(bytes * 8, 34);
      h.write('data', 36, 'latin1');
      h.writeUInt32LE(data.length, 40);
      return Buffer.concat([h, data]);
    };
    const run = (file: string) =>
      runCli(['device', '--model', 'voice', '--input', file, ...COMMON, '--quant', 'fp32', '--json'], work);
    const tone = (i: number) => 0.5 * Math.sin(i * 0.3);
    const u8 = join(work, 'stereo-8bit-8k.wav');
    writeFileSync(u8, wavBytes('u8', 2, 8000, 12000, tone));
    const a = await run(u8);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/8000 Hz audio is resampled to 16000 Hz/);
    // 1.5 s at 8 kHz → 1.5 s at 16 kHz: clips end at 1.0, 1.1, … 1.5 s
    expect(lastJson(a)['clips']).toBe(6);
    const f32 = join(work, 'float-nan.wav');
    writeFileSync(
      f32,
      wavBytes('f32', 1, 16000, 16000, (i) => (i % 1000 === 0 ? Number.NaN : tone(i))),
    );
    const b = await run(f32);
    expect(b.code, b.stderr).toBe(0);
    expect(lastJson(b)).toMatchObject({ clips: 1, skipped_samples: { non_finite: 16 } });
    for (const l of b.stdout.trim().split('\n').slice(0, -1)) expect(l).not.toMatch(/NaN|null/);

    const empty = join(work, 'empty.wav');
    writeFileSync(empty, '');
    const e = await run(empty);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/empty\.wav: the WAVE file is empty/);
    const cut = join(work, 'cut.wav');
    writeFileSync(cut, wavBytes('f32', 1, 16000, 100, tone).subarray(0, 30));
    const c = await run(cut);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/cut\.wav: file ends \(30 bytes\) before its fmt and data chunks/);
    expect(c.stderr + e.stderr).not.toMatch(/\n\s+at /);
  });

  it('classifies a spoken word from a WAV file, one line per clip with --clip-lines', async () => {
    const wav = renderSpeech({ word: 'yes', voice: 'en-us', speedWpm: 175, pitch: 50 }, join(work, 'voices'));
    const audio = readFileSync(wav);
    const r = await runCli(
      [
        'device',
        '--model',
        'voice',
        '--input',
        wav,
        ...COMMON,
        '--quant',
        'fp32',
        '--classes',
        'yes,no,up,down,stop,go,other',
        '--clip-lines',
        '--json',
      ],
      work,
    );
    expect(audio.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const clips = lines
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { clip: number; y: number[]; class: number; label: string; p: number })
      .filter((l) => 'clip' in l);
    expect(clips.length).toBeGreaterThanOrEqual(1);
    expect(clips[0]).toMatchObject({ clip: 0, t: 1 });
    expect(clips[0]!.y).toHaveLength(7);
    expect(clips[0]!.label).toBe(['yes', 'no', 'up', 'down', 'stop', 'go', 'other'][clips[0]!.class]);
    const s = lastJson(r);
    expect(s).toMatchObject({ clips: clips.length, steps: 32 * clips.length });
    // the smoothed posterior of each clip's class, and a detection count in the summary
    for (const c of clips) expect(c.p).toBeGreaterThan(0);
    expect((s['detections'] as { total: number }).total).toBeGreaterThanOrEqual(0);
  });
});
