/**
 * Audio input for voice models: a WAV file, or a live `arecord -f S16_LE -r 16000 -c 1 -t wav`
 * pipe on stdin, becomes sliding clips of log-mel features (clips.ts). A file is resampled to the
 * feature rate as a whole (the same band-limited resampling the training data went through); a
 * stream at another rate is resampled chunk by chunk, which is close but not identical at chunk
 * edges, so record at 16 kHz.
 */
import { resample } from '../../shared/audio/resample.js';
import { InputError } from '../../shared/errors.js';
import { parseWav, WavStreamParser } from '../../shared/io/wav.js';
import { ClipAssembler, type ClipStreamOptions } from './clips.js';
import type { ByteSource } from './source.js';
import type { Clip, ClipAdapter, LogLine } from './types.js';

export interface WavAdapterOptions extends ClipStreamOptions {
  /** Whole file at once (true for a path) or incremental (stdin). */
  readonly stream: boolean;
  readonly log: LogLine;
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
        yield* assembler.push(resample(audio.samples, audio.sampleRate, rate));
        yield* assembler.finish();
        return;
      }
      const parser = new WavStreamParser(source.name);
      let warned = false;
      for await (const chunk of source.chunks()) {
        const samples = parser.push(chunk);
        const fmt = parser.format;
        if (!fmt || samples.length === 0) continue;
        if (fmt.sampleRate !== rate && !warned) {
          warned = true;
          o.log(`${source.name}: ${fmt.sampleRate} Hz audio is resampled per chunk; record at ${rate} Hz`);
        }
        yield* assembler.push(fmt.sampleRate === rate ? samples : resample(samples, fmt.sampleRate, rate));
      }
      if (!parser.format) throw new InputError(`${source.name}: the WAV stream ended before its header`);
      yield* assembler.finish();
    },
  };
}
