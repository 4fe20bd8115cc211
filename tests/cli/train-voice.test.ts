/**
 * `liquidkan train --task voice` end to end: espeak-ng words → keyword model directory with its
 * classes in training.json → int8 export whose manifest states the test error rate → the device
 * classifying a spoken word in a WAV file (word centred in a second of microphone-like noise),
 * and hearing a minute of digital silence without a single detection.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR_SEARCH } from '../../cloud/tasks/voice-metrics.js';
import { mixWord } from '../../cloud/tasks/voice-mix.js';
import { speechAudio } from '../../cloud/tasks/voice-render.js';
import { writeWav } from '../../shared/io/wav.js';
import { Rng } from '../../shared/numeric/rng.js';
import { buildCliOnce, ROOT, runCli, tempDir } from './cli-harness.js';

let work: string;
beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-train-voice');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('liquidkan train --task voice', () => {
  it('trains a keyword spotter the device runs on a WAV file, and exports it with its error rate', async () => {
    const model = join(work, 'voice');
    // two members merged into one model (16 units a layer): export and the device run it as any other
    // and a detector setting chosen on a minute of validation stream, which the device then uses
    const args = [
      ...['train', '--task', 'voice', '--keywords', 'yes,no', '--per-class', '30'],
      ...['--ensemble', '2', '--calibrate-s', '60', '--other-multiple', '2'],
    ];
    const r = await runCli(
      [...args, '--hidden', '8', '--epochs', '20', '--library', 'classic', '--out', model, '--json'],
      ROOT,
      150_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.classes).toEqual(['yes', 'no', 'other']);
    expect(summary.hard_negatives_mined).toBe(0); // mining is asked for with --hard-negatives R
    expect(summary.ensemble_members).toBe(2);
    const saved = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
    expect(saved.layers.map((l: { units: number }) => l.units)).toEqual([16, 16]);
    expect(DETECTOR_SEARCH.smoothClips).toContain(summary.detector_smooth_clips);
    expect(DETECTOR_SEARCH.thresholds).toContain(summary.detector_threshold);
    expect(summary.detector_validation_miss_rate).toBeGreaterThanOrEqual(0);
    expect(summary.detector_validation_miss_rate).toBeLessThanOrEqual(1);
    const setting = { threshold: summary.detector_threshold, smoothClips: summary.detector_smooth_clips };
    // chance is 1/3 on 6 held-out clips per class
    expect(summary.test_accuracy).toBeGreaterThan(0.5);
    expect(summary.test_error_rate).toBeCloseTo(1 - summary.test_accuracy, 12);
    // speaker-independent figures: training voices in silence, and voices training never heard
    for (const k of ['seen_voice_accuracy', 'unseen_voice_accuracy']) {
      expect(summary[k]).toBeGreaterThan(1 / 3);
      expect(summary[k]).toBeLessThanOrEqual(1);
    }
    expect(summary.test_accuracy).toBeCloseTo(
      (summary.seen_voice_accuracy + summary.unseen_voice_accuracy) / 2,
      12,
    );
    const record = JSON.parse(readFileSync(join(model, 'training.json'), 'utf8'));
    expect(record).toMatchObject({
      task: 'classify',
      data: 'voice',
      classes: ['yes', 'no', 'other'],
      otherMultiple: 2, // recorded, so export rebuilds the data as it was trained
    });

    const bundle = join(work, 'voice-int8');
    const e = await runCli(
      ['export', '--model', model, '--profile', 'pi4', '--quant', 'int8', '--out', bundle, '--json'],
      ROOT,
      90_000,
    );
    expect(e.code, e.stderr).toBe(0);
    const test = JSON.parse(e.stdout).manifest.accuracy.test;
    expect(test.metric).toBe('test_error_rate');
    expect(test.fp32).toBeCloseTo(summary.test_error_rate, 12);
    // the bundle names its classes itself: the device below runs it with no training.json
    expect(JSON.parse(e.stdout).manifest.training).toMatchObject({
      task: 'classify',
      classes: ['yes', 'no', 'other'],
      testError: { metric: 'test_error_rate', units: 'fraction', evaluation: 'clips' },
      detector: { ...setting, hopMs: 100, validation: { seconds: 60 } },
    });
    expect(existsSync(join(bundle, 'training.json'))).toBe(false);

    const audio = speechAudio({ word: 'yes', voice: 'en-us', speedWpm: 160, pitch: 50 });
    const clip = mixWord(
      audio.samples,
      { clipSamples: audio.sampleRate, shiftSamples: 0, snrDb: 25, peak: 0.6 },
      new Rng(4),
    );
    const wav = join(work, 'yes.wav');
    writeWav(wav, clip, audio.sampleRate);
    const d = await runCli(
      [
        'device',
        '--model',
        bundle,
        '--profile',
        'pi4',
        '--input',
        wav,
        '--no-latency-check',
        '--threads',
        '1',
        '--clip-lines',
      ],
      ROOT,
    );
    expect(d.code, d.stderr).toBe(0);
    const lines = d.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0].label).toBe('yes');

    // a minute of digital silence (a muted microphone): every clip is 'other', nothing is detected
    const silent = join(work, 'silence.wav');
    writeWav(silent, new Float32Array(60 * 16000), 16000);
    const q = await runCli(
      [
        'device',
        '--model',
        model,
        '--profile',
        'pi4',
        '--input',
        silent,
        '--no-latency-check',
        '--threads',
        '1',
        '--json',
      ],
      ROOT,
    );
    expect(q.code, q.stderr).toBe(0);
    const quiet = JSON.parse(q.stdout.trim().split('\n').at(-1)!);
    expect(quiet.clips).toBe(591);
    expect(quiet.detections).toEqual({
      total: 0,
      by_word: {},
      setting: {
        threshold: setting.threshold,
        smooth_clips: setting.smoothClips,
        refractory_s: 1,
        hop_ms: 100,
        from: 'model',
      },
    });
    // a flag overrides the model's setting field by field, the hop too
    const short = join(work, 'short.wav');
    writeWav(short, new Float32Array(3 * 16000), 16000);
    const f = await runCli(
      [
        ...['device', '--model', bundle, '--profile', 'pi4', '--input', short],
        ...['--threshold', '0.97', '--clip-hop-ms', '250', '--no-latency-check', '--threads', '1', '--json'],
      ],
      ROOT,
    );
    expect(f.code, f.stderr).toBe(0);
    const flagged = JSON.parse(f.stdout.trim().split('\n').at(-1)!);
    expect(flagged.clips).toBe(9); // 1 s clips every 250 ms over 3 s
    expect(flagged.detections.setting).toEqual({
      threshold: 0.97,
      smooth_clips: setting.smoothClips,
      refractory_s: 1,
      hop_ms: 250,
      from: 'flags',
    });
  }, 400_000);

  it('refuses hard-negative rounds that are not a whole number, an accent share outside 0-1 and no other words, by name, before any training', async () => {
    const refused = async (flag: string, value: string, why: RegExp) => {
      const r = await runCli(
        ['train', '--task', 'voice', flag, value, '--library', 'classic', '--out', join(work, 'no')],
        ROOT,
        30_000,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
    };
    await refused('--hard-negatives', 'two', /--hard-negatives must be an integer ≥ 0, got 'two'/);
    await refused('--accent-share', '1.5', /--accent-share must be from 0 to 1, got 1\.5/);
    await refused('--other-multiple', '0', /--other-multiple must be an integer ≥ 1, got '0'/);
    expect(existsSync(join(work, 'no'))).toBe(false);
  });
});
