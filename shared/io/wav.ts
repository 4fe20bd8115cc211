/**
 * RIFF/WAVE reading and writing for audio features. Reads PCM 8-bit (unsigned), 16-bit and
 * 24-bit (signed little-endian), IEEE float 32-bit, at any sample rate and channel count
 * (channels are averaged to mono); writes 16-bit mono PCM. Unknown chunks (LIST, fact, …) are
 * skipped, honouring the pad byte after odd-sized chunks.
 *
 * WavStreamParser takes the same bytes in pieces, for `arecord -f S16_LE -r 16000 -t wav` on
 * stdin: arecord writes a header whose data size is unknown (0 or 0xFFFFFFFF), so the stream
 * parser never trusts the data size and converts whatever whole sample frames arrive.
 *
 * Samples come back as Float32Array in [-1, 1]: 16-bit s → s / 32768, 8-bit u → (u − 128) / 128.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InputError } from '../errors.js';

export interface WavAudio {
  readonly sampleRate: number;
  /** Mono samples in [-1, 1], [frames]. */
  readonly samples: Float32Array;
}

/** The format of a WAVE file's samples, from its fmt chunk. */
export interface WavFormat {
  /** 1 = PCM integer, 3 = IEEE float. */
  readonly formatCode: 1 | 3;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: 8 | 16 | 24 | 32;
  /** Bytes per sample frame (all channels). */
  readonly blockAlign: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** Parse a fmt chunk body; `source` names the file in errors. */
function parseFmt(body: Buffer, source: string): WavFormat {
  if (body.length < 16) throw new InputError(`${source}: fmt chunk is ${body.length} bytes, need 16`);
  let code = body.readUInt16LE(0);
  // WAVE_FORMAT_EXTENSIBLE keeps the real code in the first two bytes of its sub-format GUID
  if (code === FORMAT_EXTENSIBLE && body.length >= 26) code = body.readUInt16LE(24);
  const channels = body.readUInt16LE(2);
  const sampleRate = body.readUInt32LE(4);
  const bits = body.readUInt16LE(14);
  if (code !== FORMAT_PCM && code !== FORMAT_FLOAT) {
    throw new InputError(
      `${source}: unsupported WAVE format code ${code} (supported: 1 = PCM, 3 = IEEE float)`,
    );
  }
  const ok = code === FORMAT_PCM ? [8, 16, 24, 32].includes(bits) : bits === 32;
  if (!ok) {
    throw new InputError(
      `${source}: unsupported ${bits}-bit ${code === FORMAT_PCM ? 'PCM' : 'float'} samples (supported: PCM 8, 16, 24, 32 bit; float 32 bit)`,
    );
  }
  if (channels < 1) throw new InputError(`${source}: fmt chunk says ${channels} channels`);
  if (sampleRate < 1) throw new InputError(`${source}: fmt chunk says sample rate ${sampleRate}`);
  return {
    formatCode: code as 1 | 3,
    channels,
    sampleRate,
    bitsPerSample: bits as 8 | 16 | 24 | 32,
    blockAlign: channels * (bits / 8),
  };
}

/**
 * Whole sample frames of raw interleaved data → mono floats, [floor(bytes / blockAlign)].
 * Trailing bytes of an incomplete frame are ignored (the caller keeps them).
 */
export function decodePcm(data: Buffer, fmt: WavFormat): Float32Array {
  const { channels, bitsPerSample: bits, formatCode } = fmt;
  const bytes = bits / 8;
  const frames = Math.floor(data.length / fmt.blockAlign);
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      const at = f * fmt.blockAlign + c * bytes;
      if (formatCode === FORMAT_FLOAT) sum += data.readFloatLE(at);
      else if (bits === 16) sum += data.readInt16LE(at) / 32768;
      else if (bits === 8) sum += (data[at]! - 128) / 128;
      else if (bits === 24) sum += data.readIntLE(at, 3) / 8388608;
      else sum += data.readInt32LE(at) / 2147483648;
    }
    out[f] = sum / channels;
  }
  return out;
}

/** Where the sample data starts, once the header up to the data chunk has been read. */
interface HeaderInfo {
  readonly format: WavFormat;
  readonly dataOffset: number;
  /** The data chunk's declared size in bytes (may be 0 or 0xFFFFFFFF for a stream). */
  readonly dataSize: number;
}

/**
 * Read the RIFF header and chunks up to the data chunk. Returns null when `buf` is too short to
 * reach the data chunk yet (streaming); throws when it can never be a WAVE file.
 */
function parseHeader(buf: Buffer, source: string): HeaderInfo | null {
  if (buf.length < 12) return null;
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw new InputError(
      `${source}: not a RIFF/WAVE file (starts with ${JSON.stringify(buf.toString('latin1', 0, 4))})`,
    );
  }
  let at = 12;
  let format: WavFormat | null = null;
  for (;;) {
    if (buf.length < at + 8) return null;
    const id = buf.toString('latin1', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'data') {
      if (!format) throw new InputError(`${source}: data chunk comes before the fmt chunk`);
      return { format, dataOffset: at + 8, dataSize: size };
    }
    if (buf.length < at + 8 + size) return null;
    if (id === 'fmt ') format = parseFmt(buf.subarray(at + 8, at + 8 + size), source);
    at += 8 + size + (size & 1);
  }
}

/** Parse a complete WAVE file held in memory; `source` names it in errors. */
export function parseWav(buf: Buffer, source: string): WavAudio {
  if (buf.length === 0) throw new InputError(`${source}: the WAVE file is empty (0 bytes)`);
  const header = parseHeader(buf, source);
  if (!header) {
    const what = buf.length < 12 ? 'RIFF header' : 'fmt and data chunks';
    throw new InputError(`${source}: file ends (${buf.length} bytes) before its ${what}`);
  }
  const { format, dataOffset, dataSize } = header;
  const available = buf.length - dataOffset;
  if (dataSize !== 0xffffffff && available < dataSize) {
    throw new InputError(
      `${source}: data chunk is truncated: header says ${dataSize} bytes, ${available} present (${dataSize - available} bytes missing)`,
    );
  }
  const size = dataSize === 0xffffffff ? available : dataSize;
  const data = buf.subarray(dataOffset, dataOffset + size);
  return { sampleRate: format.sampleRate, samples: decodePcm(data, format) };
}

export function readWav(file: string): WavAudio {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read WAVE file (${(e as Error).message})`, { cause: e });
  }
  return parseWav(buf, file);
}

/** 16-bit mono PCM WAVE bytes; samples are clipped to [-1, 1]. */
export function encodeWav(samples: ArrayLike<number>, sampleRate: number): Buffer {
  const n = samples.length;
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0, 'latin1');
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVEfmt ', 8, 'latin1');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(FORMAT_PCM, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'latin1');
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    buf.writeInt16LE(Math.round(s < 0 ? s * 32768 : s * 32767), 44 + 2 * i);
  }
  return buf;
}

export function writeWav(file: string, samples: ArrayLike<number>, sampleRate: number): void {
  writeFileSync(file, encodeWav(samples, sampleRate));
}

/**
 * Incremental WAVE parsing for a live stream: push byte chunks as they arrive, get mono
 * samples back. Until the header is complete push() returns an empty array; afterwards it
 * returns every whole sample frame received so far, keeping a partial frame for the next push.
 * The declared data size is ignored (arecord does not know it when it writes the header).
 */
export class WavStreamParser {
  private head: Buffer = Buffer.alloc(0);
  private rest: Buffer = Buffer.alloc(0);
  private fmt: WavFormat | null = null;
  /** Bytes pushed so far. */
  bytesSeen = 0;

  constructor(private readonly source = 'stdin') {}

  /** The stream's format once the header has been read, else null. */
  get format(): WavFormat | null {
    return this.fmt;
  }

  push(chunk: Buffer): Float32Array {
    this.bytesSeen += chunk.length;
    let data: Buffer;
    if (!this.fmt) {
      this.head = Buffer.concat([this.head, chunk]);
      const header = parseHeader(this.head, this.source);
      if (!header) return new Float32Array(0);
      this.fmt = header.format;
      data = this.head.subarray(header.dataOffset);
      this.head = Buffer.alloc(0);
    } else {
      data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    }
    const whole = data.length - (data.length % this.fmt.blockAlign);
    this.rest = Buffer.from(data.subarray(whole));
    return decodePcm(data.subarray(0, whole), this.fmt);
  }
}
