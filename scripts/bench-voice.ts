/**
 * Keyword-spotting benchmark (issue 18): benchVoice() returns JSON figures; scripts/bench.ts
 * prints them. Trains the 4-keyword model (yes, no, up, down + other) as `liquidkan train --task
 * voice` does (or reuses LK_BENCH_VOICE_DIR when it holds one), exports it int8 for pi4, and
 * measures it the way keyword spotters are measured, for the float64 reference and for the int8
 * bundle run by the device runtime (runDevice, the code behind `liquidkan device`):
 *
 *   - clip accuracy on utterances training never saw: training speakers in digital silence,
 *     and speakers training never heard with light noise (the device hears each test set as a
 *     WAV of 1 s clips, --clip-hop-ms 1000);
 *   - on a 10-minute stream of keywords between other words over backgrounds from digital
 *     silence to loud noise: miss rate and false accepts per hour at the device's default
 *     threshold, the trade-off over thresholds, and the best miss rate at ≤ 2 false accepts/h.
 *
 * Environment: LK_BENCH_VOICE_DIR (keep and reuse the trained model), LK_BENCH_VOICE_PER_CLASS
 * (200), LK_BENCH_VOICE_HIDDEN (32), LK_BENCH_VOICE_EPOCHS (30), LK_BENCH_VOICE_STREAM_S (600).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { voiceDataset } from '../cloud/tasks/voice.js';
import {
  type ClipTrack,
  clipTrack,
  detectionsOf,
  operatingPoint,
  scoreDetections,
  sweep,
} from '../cloud/tasks/voice-metrics.js';
import { keywordStream } from '../cloud/tasks/voice-stream.js';
import { accuracy } from '../cloud/train/evaluate.js';
import { voiceHeldOut } from '../cloud/train/held-out.js';
import { TRAINING_FILE, trainingRecordJson } from '../cloud/train/training-record.js';
import { trainVoice } from '../cloud/train/voice-train.js';
import { runDevice } from '../device/runtime/run.js';
import { DETECTOR_DEFAULTS, type Detection } from '../shared/audio/detection.js';
import { exportModel, writeBundle } from '../shared/export/export.js';
import { writeWav } from '../shared/io/wav.js';
import { classicLibrary } from '../shared/library/library.js';
import { loadModelDir, saveModelDir } from '../shared/model/store.js';
import { loadProfile } from '../shared/profiles.js';

const KEYWORDS = ['yes', 'no', 'up', 'down'];
const PER_CLASS = Number(process.env['LK_BENCH_VOICE_PER_CLASS'] ?? 200);
const STREAM_S = Number(process.env['LK_BENCH_VOICE_STREAM_S'] ?? 600);
const HIDDEN = Number(process.env['LK_BENCH_VOICE_HIDDEN'] ?? 32);
const EPOCHS = Number(process.env['LK_BENCH_VOICE_EPOCHS'] ?? 30);
const HOP_MS = 100;
const SEED = 0;

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** The model directory: LK_BENCH_VOICE_DIR when it holds one, else trained now (and kept there). */
function trainedModel(dir: string) {
  const task = { keywords: KEYWORDS, perClass: PER_CLASS, keepTestAudio: true };
  if (existsSync(join(dir, 'model.json'))) {
    const data = voiceDataset({ ...task, seed: SEED });
    return { model: loadModelDir(dir), data, trainSeconds: null };
  }
  const t0 = performance.now();
  const r = trainVoice({
    library: classicLibrary(),
    seed: SEED,
    hidden: HIDDEN,
    task,
    train: { epochs: EPOCHS },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  saveModelDir(dir, r.model, 'liquidkan bench', {
    [TRAINING_FILE]: trainingRecordJson({
      task: 'classify',
      data: 'voice',
      classes: [...r.classes],
      keywords: KEYWORDS,
      perClass: PER_CLASS,
      seed: SEED,
      testAccuracy: r.testAccuracy,
    }),
  });
  return { model: r.model, data: r.data, trainSeconds };
}

/** The device's lines for a WAV: detections and (with clip lines) every clip's scores. */
async function deviceRun(bundle: string, wav: string, hopMs: number) {
  const lines: Record<string, unknown>[] = [];
  const summary = await runDevice({
    model: bundle,
    profile: loadProfile('pi4'),
    input: wav,
    classes: [...KEYWORDS, 'other'],
    clipHopMs: hopMs,
    clipLines: true,
    latencyCheck: false,
    threads: 1,
    emit: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
    log: () => {},
  });
  const clips = lines.filter((l) => 'clip' in l);
  const detections = lines.filter((l) => l['event'] === 'detection') as unknown as Detection[];
  const track: ClipTrack = {
    t: Float64Array.from(clips, (c) => c['t'] as number),
    logits: Float64Array.from(clips.flatMap((c) => c['y'] as number[])),
    classes: KEYWORDS.length + 1,
  };
  return { clips, detections, track, summary };
}

/** Share of 1 s clips whose device label is the row's class. */
function deviceAccuracy(clips: Record<string, unknown>[], y: Float64Array, C: number): number {
  let right = 0;
  clips.forEach((c, r) => {
    if (y[r * C + (c['class'] as number)] === 1) right++;
  });
  return right / (y.length / C);
}

function concat(clips: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(clips.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of clips) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export async function benchVoice(): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'lk-bench-voice-'));
  const modelDir = process.env['LK_BENCH_VOICE_DIR'] ?? join(work, 'model');
  try {
    const { model, data, trainSeconds } = trainedModel(modelDir);
    const C = data.classes.length;
    const { scaling: _raw, ...standardised } = model;
    const bundleDir = join(work, 'int8');
    writeBundle(
      bundleDir,
      exportModel(model, { profile: loadProfile('pi4'), quant: 'int8', ...voiceHeldOut(data) }),
    );

    const clipAccuracy: Record<string, unknown> = {
      reference_fp32: {
        seen_voices_digital_silence: r3(accuracy(standardised, data.testSeen)),
        unseen_voices_light_noise: r3(accuracy(standardised, data.testUnseen)),
      },
    };
    const device: Record<string, number> = {};
    for (const [name, set, audio] of [
      ['seen_voices_digital_silence', data.testSeen, data.testAudio?.seen],
      ['unseen_voices_light_noise', data.testUnseen, data.testAudio?.unseen],
    ] as const) {
      const wav = join(work, `${name}.wav`);
      writeWav(wav, concat(audio ?? []), data.features.sampleRate);
      const run = await deviceRun(bundleDir, wav, 1000);
      device[name] = r3(deviceAccuracy(run.clips, set.y, C));
    }
    clipAccuracy['device_int8'] = device;

    const stream = keywordStream({ seed: SEED + 1, keywords: KEYWORDS, durationS: STREAM_S });
    const streamWav = join(work, 'stream.wav');
    writeWav(streamWav, stream.samples, stream.sampleRate);
    const detector = { classes: data.classes, smoothClips: DETECTOR_DEFAULTS.smoothClips };
    const refTrack = clipTrack(model, stream.samples, HOP_MS);
    const refSweep = sweep(refTrack, detector, stream.events, stream.durationS);
    const dev = await deviceRun(bundleDir, streamWav, HOP_MS);
    const devSweep = sweep(dev.track, detector, stream.events, stream.durationS);
    const row = (r: ReturnType<typeof scoreDetections> & { threshold?: number }) => ({
      ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
      miss_rate: r3(r.missRate),
      false_accepts: r.falseAccepts,
      false_accepts_per_hour: r3(r.falseAcceptsPerHour),
    });
    const atDefault = (track: ClipTrack) =>
      row(
        scoreDetections(
          detectionsOf(track, { ...detector, threshold: DETECTOR_DEFAULTS.threshold }),
          stream.events,
          stream.durationS,
        ),
      );
    const devDefault = row(scoreDetections(dev.detections, stream.events, stream.durationS));
    const best = operatingPoint(devSweep, 2);
    return {
      keywords: KEYWORDS,
      per_class: PER_CLASS,
      hidden: HIDDEN,
      epochs: EPOCHS,
      train_seconds: trainSeconds === null ? null : Math.round(trainSeconds),
      clip_accuracy: clipAccuracy,
      stream: {
        seconds: stream.durationS,
        keywords_spoken: stream.events.filter((e) => e.keyword).length,
        other_words_spoken: stream.events.filter((e) => !e.keyword).length,
        background_dbfs: [...new Set(stream.segments.map((s) => s.levelDbfs))].map((v) =>
          Number.isFinite(v) ? v : 'digital silence',
        ),
        hop_ms: HOP_MS,
        smooth_clips: DETECTOR_DEFAULTS.smoothClips,
        refractory_s: DETECTOR_DEFAULTS.refractoryS,
        default_threshold: DETECTOR_DEFAULTS.threshold,
        reference_fp32_at_default: atDefault(refTrack),
        device_int8_at_default: devDefault,
        device_int8_tradeoff: devSweep.map(row),
        reference_fp32_tradeoff: refSweep.map(row),
        device_int8_best_at_2_fa_per_hour: best ? row(best) : null,
      },
      targets: {
        seen_voices_silence_ge_0_9: (device['seen_voices_digital_silence'] ?? 0) >= 0.9,
        unseen_voices_light_noise_ge_0_9: (device['unseen_voices_light_noise'] ?? 0) >= 0.9,
        miss_rate_le_10pct_at_le_2_fa_per_hour: best !== null && best.missRate <= 0.1,
      },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (!process.env['LK_BENCH_VOICE_DIR']) rmSync(modelDir, { recursive: true, force: true });
  }
}
