import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../shared/errors.js';
import { encodeWav, parseWav, readWav, WavStreamParser, writeWav } from '../../../shared/io/wav.js';

/** A WAVE file with the given fmt fields, raw data and extra chunks before the data chunk. */
function wav(
  fmt: { code: number; channels: number; rate: number; bits: number },
  data: Buffer,
  extra: Buffer[] = [],
  declaredSize = data.length,
) {
  const f = Buffer.alloc(24);
  f.write('fmt ', 0, 'latin1');
  f.writeUInt32LE(16, 4);
  f.writeUInt16LE(fmt.code, 8);
  f.writeUInt16LE(fmt.channels, 10);
  f.writeUInt32LE(fmt.rate, 12);
  f.writeUInt32LE((fmt.rate * fmt.channels * fmt.bits) / 8, 16);
  f.writeUInt16LE((fmt.channels * fmt.bits) / 8, 20);
  f.writeUInt16LE(fmt.bits, 22);
  const d = Buffer.alloc(8);
  d.write('data', 0, 'latin1');
  d.writeUInt32LE(declaredSize, 4);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...extra, f, d, data]);
  const h = Buffer.alloc(8);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body]);
}

function chunk(id: string, body: Buffer) {
  const h = Buffer.alloc(8);
  h.write(id, 0, 'latin1');
  h.writeUInt32LE(body.length, 4);
  return Buffer.concat([h, body, body.length & 1 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

const int16 = (...v: number[]) => Buffer.from(Int16Array.from(v).buffer);

describe('WAV reading', () => {
  it('reads 16-bit mono, skipping an odd-sized unknown chunk and its pad byte', () => {
    const b = wav({ code: 1, channels: 1, rate: 22050, bits: 16 }, int16(0, 16384, -32768), [
      chunk('LIST', Buffer.from('abc')),
    ]);
    const a = parseWav(b, 'x.wav');
    expect(a.sampleRate).toBe(22050);
    expect(Array.from(a.samples)).toEqual([0, 0.5, -1]);
  });

  it('averages stereo to mono and reads 8-bit and float samples', () => {
    const st = parseWav(
      wav({ code: 1, channels: 2, rate: 8000, bits: 16 }, int16(16384, 0, -16384, -16384)),
      's',
    );
    expect(Array.from(st.samples)).toEqual([0.25, -0.5]);
    const u8 = parseWav(wav({ code: 1, channels: 1, rate: 8000, bits: 8 }, Buffer.from([128, 192, 0])), 'u');
    expect(Array.from(u8.samples)).toEqual([0, 0.5, -1]);
    const fl = parseWav(
      wav(
        { code: 3, channels: 1, rate: 48000, bits: 32 },
        Buffer.from(Float32Array.from([0.25, -0.75]).buffer),
      ),
      'f',
    );
    expect([fl.sampleRate, ...fl.samples]).toEqual([48000, 0.25, -0.75]);
  });

  it('round-trips 16-bit mono through a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wav-'));
    const x = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i / 7) * 0.9);
    writeWav(join(dir, 'a.wav'), x, 16000);
    const a = readWav(join(dir, 'a.wav'));
    expect(a.sampleRate).toBe(16000);
    for (let i = 0; i < 100; i++) expect(Math.abs(a.samples[i]! - x[i]!)).toBeLessThan(2 / 32768);
  });

  it('names the file and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wav-'));
    writeFileSync(join(dir, 'text.wav'), 'hello world, not audio');
    expect(() => readWav(join(dir, 'text.wav'))).toThrow(/text\.wav: not a RIFF\/WAVE file/);
    expect(() => readWav(join(dir, 'missing.wav'))).toThrow(/missing\.wav: cannot read/);
    const adpcm = wav({ code: 2, channels: 1, rate: 8000, bits: 4 }, Buffer.alloc(4));
    expect(() => parseWav(adpcm, 'adpcm.wav')).toThrow(/adpcm\.wav: unsupported WAVE format code 2/);
    const short = wav({ code: 1, channels: 1, rate: 8000, bits: 16 }, int16(1, 2), [], 10);
    expect(() => parseWav(short, 'short.wav')).toThrow(InputError);
    expect(() => parseWav(short, 'short.wav')).toThrow(
      /short\.wav: data chunk is truncated.*6 bytes missing/,
    );
    expect(() => parseWav(Buffer.from('RIFF'), 'tiny.wav')).toThrow(/tiny\.wav: file ends \(4 bytes\)/);
  });
});

describe('WAV streaming', () => {
  it('parses an arecord-style header with unknown size, then converts raw chunks', () => {
    const pcm = int16(...Array.from({ length: 50 }, (_, i) => i * 100 - 2500));
    const all = wav({ code: 1, channels: 1, rate: 16000, bits: 16 }, pcm, [], 0xffffffff);
    const whole = parseWav(all, 'stdin');
    expect(whole.samples.length).toBe(50);
    for (const size of [1, 3, 7, 44, 1000]) {
      const p = new WavStreamParser();
      const got: number[] = [];
      for (let i = 0; i < all.length; i += size) got.push(...p.push(all.subarray(i, i + size)));
      expect(p.format?.sampleRate).toBe(16000);
      expect(got).toEqual(Array.from(whole.samples));
    }
  });

  it('rejects a stream that is not WAVE as soon as it can tell', () => {
    const p = new WavStreamParser('mic');
    expect(p.push(Buffer.from('RIF'))).toHaveLength(0);
    expect(() => p.push(Buffer.from('Fxxxxjunk'))).toThrow(/mic: not a RIFF\/WAVE file/);
  });

  it('encodes the canonical 44-byte header', () => {
    const b = encodeWav([0, 1, -1], 16000);
    expect(b.length).toBe(50);
    expect(b.toString('latin1', 0, 4)).toBe('RIFF');
    expect(b.readInt16LE(46)).toBe(32767);
    expect(b.readInt16LE(48)).toBe(-32768);
  });
});
