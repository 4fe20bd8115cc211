/**
 * Audio input for voice models: a WAV file, or a live `arecord -f S16_LE -r 16000 -c 1 -t wav`
 * pipe on stdin, becomes sliding clips of log-mel features (clips.ts). A file is resampled to the
 * feature rate as a whole (the same band-limited resampling the training data went through); a
 * stream at another rate is resampled chunk by chunk, which is close but not identical at chunk
 * edges, so record at 16 kHz.
 */

import { ClipAssembler, type ClipStreamOptions } from '../../shared/audio/clip-stream.js';
import { resample } from '../../shared/audio/resample.js';
import { InputError } from '../../shared/errors.js';
import { parseWav, WavStreamParser } from '../../shared/io/wav.js';
import type { ByteSource } from './source.js';
import type { Clip, ClipAdapter, InputCounters, LogLine } from './types.js';

export interface WavAdapterOptions extends ClipStreamOptions {
  /** Whole file at once (true for a path) or incremental (stdin). */
  readonly stream: boolean;
  readonly log: LogLine;
  /** Non-finite samples (a float WAV can hold NaN or ±∞) are counted here and replaced by 0. */
  readonly counters?: InputCounters;
}

/** NaN and ±∞ samples → 0 in place, counted; the features would turn one into a NaN clip. */
function finiteSamples(x: Float32Array, counters: InputCounters | undefined): Float32Array {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      x[i] = 0;
      if (counters) counters.nonFinite++;
    }
  }
  return x;
}

async function readAll(source: ByteSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source.chunks()) parts.push(c);
  return Buffer.concat(parts);
}

export function wavAdapter(source: ByteSource, o: WavAdapterOptions): ClipAdapter {
  const assembler = new ClipAssembler(o);
  const rate = assembler.clip.features.sampleRate;
  return {
    kind: 'wav',
    steps: assembler.steps,
    dim: assembler.dim,
    async *clips(): AsyncIterable<Clip> {
      if (!o.stream) {
        const audio = parseWav(await readAll(source), source.name);
        if (audio.sampleRate !== rate)
          o.log(`${source.name}: ${audio.sampleRate} Hz audio is resampled to ${rate} Hz`);
        yield* assembler.push(resample(finiteSamples(audio.samples, o.counters), audio.sampleRate, rate));
        yield* assembler.finish();
        return;
      }
      const parser = new WavStreamParser(source.name);
      let warned = false;
      for await (const chunk of source.chunks()) {
        const samples = finiteSamples(parser.push(chunk), o.counters);
        const fmt = parser.format;
        if (!fmt || samples.length === 0) continue;
        if (fmt.sampleRate !== rate && !warned) {
          warned = true;
          o.log(`${source.name}: ${fmt.sampleRate} Hz audio is resampled per chunk; record at ${rate} Hz`);
        }
        yield* assembler.push(fmt.sampleRate === rate ? samples : resample(samples, fmt.sampleRate, rate));
      }
      if (!parser.format) {
        throw new InputError(
          `${source.name}: the WAV stream ended before its header${parser.bytesSeen === 0 ? ' (no bytes at all)' : ''}`,
        );
      }
      yield* assembler.finish();
    },
  };
}
