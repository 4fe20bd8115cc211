import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { VOICE_CLIP } from '../../../shared/audio/clip.js';
import { ClipAssembler } from '../../../shared/audio/clip-stream.js';
import { KeywordDetector } from '../../../shared/audio/detection.js';
import { InputError } from '../../../shared/errors.js';

const CLASSES = ['yes', 'no', 'other'];
/** Logits whose softmax puts probability p on class c and the rest evenly on the others. */
function logits(c: number, p: number): number[] {
  const q = (1 - p) / (CLASSES.length - 1);
  return CLASSES.map((_, k) => Math.log(k === c ? p : q));
}

describe('keyword detector', () => {
  it('fires once per spoken word: smoothed over hops, then quiet for the refractory time', () => {
    const det = new KeywordDetector({ classes: CLASSES, threshold: 0.8, smoothClips: 3, refractoryS: 1 });
    const track = [
      ...Array.from({ length: 5 }, () => logits(2, 0.95)),
      ...Array.from({ length: 6 }, () => logits(0, 0.97)),
      ...Array.from({ length: 10 }, () => logits(2, 0.95)),
      ...Array.from({ length: 4 }, () => logits(1, 0.99)),
    ];
    const events = track.flatMap((l, i) => det.push(l, 1 + i * 0.1) ?? []);
    expect(events.map((e) => e.word)).toEqual(['yes', 'no']);
    // 'yes' starts at clip 5: the 3-clip mean first passes 0.8 two clips later
    expect(events[0]!.t).toBeCloseTo(1 + 7 * 0.1, 9);
    expect(events[0]!.confidence).toBeGreaterThanOrEqual(0.8);
    expect(det.smoothed.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('ignores a one-clip spike, the non-keyword class and clips with NaN scores', () => {
    const det = new KeywordDetector({ classes: CLASSES });
    const track = [logits(2, 0.99), logits(2, 0.99), logits(0, 0.99), logits(2, 0.99), logits(2, 0.99)];
    expect(track.flatMap((l, i) => det.push(l, i * 0.1) ?? [])).toEqual([]);
    for (let i = 0; i < 5; i++) expect(det.push([Number.NaN, 0, 0], 1 + i)).toBeNull();
  });

  it('holds a word back within the refractory time and lets the next one through after it', () => {
    const det = new KeywordDetector({ classes: CLASSES, smoothClips: 1, refractoryS: 1 });
    expect(det.push(logits(0, 0.99), 0)?.word).toBe('yes');
    expect(det.push(logits(1, 0.99), 0.5)).toBeNull();
    expect(det.push(logits(1, 0.99), 1.0)?.word).toBe('no');
  });

  it('refuses thresholds, smoothing and class lists it cannot use', () => {
    expect(() => new KeywordDetector({ classes: CLASSES, threshold: 1.5 })).toThrow(InputError);
    expect(() => new KeywordDetector({ classes: CLASSES, smoothClips: 0 })).toThrow(/whole number/);
    expect(() => new KeywordDetector({ classes: ['other'] })).toThrow(/no keyword/);
  });
});

describe('minutes of digital silence', () => {
  it('give all-zero clips, no detection from a silence-trained score, and no memory growth', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const asm = new ClipAssembler({ clip: VOICE_CLIP, hopMs: 100 });
    const det = new KeywordDetector({ classes: CLASSES });
    const chunk = new Float32Array(1600);
    // a model that maps the all-zero clip to 'other', as training on digital silence teaches it
    const score = (f: Float64Array) =>
      f.every((v) => Math.abs(v) < 1e-12) ? logits(2, 0.99) : logits(0, 0.99);
    let clips = 0;
    let detections = 0;
    const listen = (seconds: number) => {
      for (let i = 0; i < seconds * 10; i++) {
        for (const c of asm.push(chunk)) {
          clips++;
          if (det.push(score(c.features), c.tEnd)) detections++;
        }
      }
    };
    listen(30);
    gc();
    const before = process.memoryUsage().heapUsed;
    listen(120);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(clips).toBeGreaterThan(1400);
    expect(detections).toBe(0);
    expect(grown).toBeLessThan(2 * 1024 * 1024);
  });
});
