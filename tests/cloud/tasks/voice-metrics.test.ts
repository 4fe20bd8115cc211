import { describe, expect, it } from 'vitest';
import { OTHER_WORDS } from '../../../cloud/tasks/voice.js';
import { operatingPoint, scoreDetections, sweep } from '../../../cloud/tasks/voice-metrics.js';
import {
  FILLER_WORDS,
  keywordStream,
  type StreamEvent,
  streamSpeakers,
} from '../../../cloud/tasks/voice-stream.js';

const ev = (word: string, keyword: boolean, start: number, end: number): StreamEvent => ({
  word,
  keyword,
  start,
  end,
  speaker: 'en',
});

describe('keyword-spotting metrics', () => {
  it('count misses over keywords and every unmatched detection as a false accept', () => {
    const events = [
      ev('yes', true, 1, 1.4),
      ev('table', false, 3, 3.5),
      ev('no', true, 5, 5.3),
      ev('up', true, 8, 8.3),
    ];
    const detections = [
      { word: 'yes', t: 1.9, confidence: 0.9 }, // hit
      { word: 'yes', t: 2.2, confidence: 0.9 }, // the same word again: false accept
      { word: 'down', t: 3.8, confidence: 0.9 }, // during other speech: false accept
      { word: 'up', t: 5.6, confidence: 0.9 }, // wrong word at 'no': false accept, 'no' missed
      { word: 'up', t: 11, confidence: 0.9 }, // too late for 'up' (ends 8.3 + 1.5): false accept
    ];
    const s = scoreDetections(detections, events, 1800);
    expect(s).toMatchObject({ keywords: 3, hits: 1, misses: 2, falseAccepts: 4, hours: 0.5 });
    expect(s.missRate).toBeCloseTo(2 / 3, 12);
    expect(s.falseAcceptsPerHour).toBe(8);
  });

  it('trade misses against false accepts over thresholds and pick the best point under a bound', () => {
    // clips every 0.1 s; 'yes' at 1–1.4 s scores 0.9, other speech at 3–3.5 s scores 'no' 0.7
    const t = Float64Array.from({ length: 60 }, (_, i) => 0.1 * (i + 1));
    const logits = new Float64Array(60 * 3);
    t.forEach((ti, i) => {
      const p =
        ti >= 1.4 && ti <= 1.9
          ? [0.9, 0.05, 0.05]
          : ti >= 3.5 && ti <= 4
            ? [0.15, 0.7, 0.15]
            : [0.05, 0.05, 0.9];
      for (let c = 0; c < 3; c++) logits[i * 3 + c] = Math.log(p[c]!);
    });
    const events = [ev('yes', true, 1, 1.4), ev('table', false, 3, 3.5)];
    const rows = sweep(
      { t, logits, classes: 3 },
      { classes: ['yes', 'no', 'other'] },
      events,
      3600,
      [0.5, 0.8],
    );
    expect(rows.map((r) => [r.threshold, r.hits, r.falseAccepts])).toEqual([
      [0.5, 1, 1],
      [0.8, 1, 0],
    ]);
    expect(operatingPoint(rows, 0)?.threshold).toBe(0.8);
    expect(operatingPoint(rows.slice(0, 1), 0)).toBeNull();
  });
});

describe('keyword stream', () => {
  it('has validation and test voices that training never heard, and no voice in both', () => {
    const training = new Set(streamSpeakers('training'));
    const validation = streamSpeakers('validation');
    const test = streamSpeakers('test');
    expect(validation.length).toBeGreaterThan(20);
    expect(test.length).toBeGreaterThan(20);
    for (const v of [...validation, ...test]) expect(training.has(v)).toBe(false);
    expect(validation.filter((v) => test.includes(v))).toEqual([]);
    // no variant of a held-out speaker is a training variant either
    const trainingVariants = new Set([...training].map((v) => v.split('+')[1] ?? ''));
    for (const v of [...validation, ...test].map((s) => s.split('+')[1]).filter((x) => x))
      expect(trainingVariants.has(v!)).toBe(false);
  });

  it('places words one after another at known times over backgrounds that change level', () => {
    expect(FILLER_WORDS.filter((w) => OTHER_WORDS.includes(w))).toEqual([]);
    const s = keywordStream({ seed: 3, keywords: ['yes', 'no'], durationS: 40, segmentS: 10 });
    expect(s.samples.length).toBe(40 * 16000);
    expect(s.events.length).toBeGreaterThan(10);
    for (let i = 1; i < s.events.length; i++)
      expect(s.events[i]!.start).toBeGreaterThan(s.events[i - 1]!.end + 0.5);
    expect(s.events.some((e) => e.keyword) && s.events.some((e) => !e.keyword)).toBe(true);
    expect(s.segments.map((g) => g.levelDbfs)).toEqual([-Infinity, -70, -55, -45]);
    // the first segment's pauses are digital silence, the last one's hold noise near −45 dBFS
    const pause = (seg: number) => {
      const from = seg * 10;
      const gap = s.events.findIndex((e) => e.start > from + 1);
      const a = Math.round(((s.events[gap - 1]?.end ?? from) + 0.05) * 16000);
      return s.samples.subarray(Math.max(a, from * 16000), Math.round((s.events[gap]!.start - 0.05) * 16000));
    };
    expect(pause(0).every((v) => v === 0)).toBe(true);
    const rms = Math.sqrt(pause(3).reduce((q, v) => q + v * v, 0) / pause(3).length);
    expect(20 * Math.log10(rms)).toBeCloseTo(-45, 0);
    expect(
      Array.from(keywordStream({ seed: 3, keywords: ['yes', 'no'], durationS: 40, segmentS: 10 }).samples),
    ).toEqual(Array.from(s.samples));
  });
});
