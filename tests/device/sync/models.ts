/**
 * Model bundles, releases and an input feed for agent tests: tiny models exported for pi4, made
 * into signed model releases; a JSON-lines stream fed at a steady pace whose labels a tiny model
 * can be scored on.
 */
import { PassThrough } from 'node:stream';
import { exportModel, writeBundle } from '../../../shared/export/export.js';
import { cloneModel, type HybridModel } from '../../../shared/model/model.js';
import { loadProfile } from '../../../shared/profiles.js';
import { createRelease, type Release } from '../../../shared/release/create.js';
import { tinyModel } from '../../helpers/models.js';

export const PI4 = loadProfile('pi4');

export function baseModel(): HybridModel {
  return tinyModel({ activation: 'tanh', hidden: 6, seed: 3 });
}

/** The model with its readout weights scaled (a large factor makes it much worse). */
export function scaledReadout(model: HybridModel, factor: number, biasShift = 0): HybridModel {
  const out = cloneModel(model);
  const W = out.params.get('readout.W')!;
  for (let i = 0; i < W.length; i++) W[i] = W[i]! * factor;
  const b = out.params.get('readout.b')!;
  for (let i = 0; i < b.length; i++) b[i] = b[i]! + biasShift;
  return out;
}

export function writeModelBundle(dir: string, model: HybridModel): string {
  writeBundle(dir, exportModel(model, { profile: PI4, quant: 'fp32' }));
  return dir;
}

export function modelRelease(bundleDir: string, key: string, version: string): Release {
  return createRelease({ kind: 'model', dir: bundleDir, key, version, chunkBytes: 4096 });
}

/** One JSON line of a smooth 3-input, 2-output series. */
export function line(t: number): string {
  const x = [Math.sin(t / 5), Math.cos(t / 7), (t % 60) / 60];
  const y = [0.3 * Math.sin(t / 4), 0.1];
  return `${JSON.stringify({ x, y })}\n`;
}

/** Writes `ratePerTick` lines every `tickMs` into a stream until stopped; counts them. */
export class Feed {
  readonly stream = new PassThrough();
  written = 0;
  private timer: NodeJS.Timeout | null = null;

  start(ratePerTick = 5, tickMs = 10): this {
    this.timer = setInterval(() => {
      for (let i = 0; i < ratePerTick; i++) this.stream.write(line(this.written++));
    }, tickMs);
    return this;
  }

  /** Stop writing and end the stream. */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stream.end();
  }
}
