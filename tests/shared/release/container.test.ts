/** The release payload container, chunking and the release file: deterministic, and truncation refused. */
import { describe, expect, it } from 'vitest';
import { ManifestError, SignatureError } from '../../../shared/errors.js';
import {
  chunkAt,
  chunkCount,
  chunkHashes,
  decodeChunkFrame,
  encodeChunkFrame,
  verifyChunk,
  verifyPayload,
} from '../../../shared/release/chunks.js';
import { packRelease, unpackRelease } from '../../../shared/release/container.js';
import { createRelease } from '../../../shared/release/create.js';
import { generateKeys } from '../../../shared/release/keys.js';
import { decodeReleaseFile, encodeReleaseFile, openRelease } from '../../../shared/release/release-file.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s));
const files = {
  'model.onnx': enc('onnx bytes'),
  'b.bin': new Uint8Array([0, 1, 2, 255]),
  'empty.txt': enc(''),
};

describe('release container', () => {
  it('is deterministic (sorted by name) and round-trips', () => {
    const a = packRelease(files);
    const b = packRelease({
      'empty.txt': files['empty.txt'],
      'b.bin': files['b.bin'],
      'model.onnx': files['model.onnx'],
    });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a.subarray(0, 4)).toString()).toBe('LKP1');
    const back = unpackRelease(a);
    expect(Object.keys(back)).toEqual(['b.bin', 'empty.txt', 'model.onnx']);
    for (const [name, bytes] of Object.entries(files))
      expect(Buffer.from(back[name]!).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses every truncation and any trailing bytes', () => {
    const p = packRelease(files);
    for (let n = 0; n < p.length; n++) {
      expect(() => unpackRelease(p.subarray(0, n)), `${n} bytes`).toThrow(ManifestError);
    }
    expect(() => unpackRelease(p.subarray(0, p.length - 3))).toThrow(
      /truncated: file 'model.onnx' declares 10 bytes/,
    );
    expect(() => unpackRelease(new Uint8Array([...p, 0]))).toThrow(/1 bytes after the last of 3 files/);
    expect(() => unpackRelease(enc('PK\u0003\u0004....'))).toThrow(/not a release payload/);
  });

  it('refuses names that could leave the target directory', () => {
    for (const name of ['../x', 'a/b', '.hidden', '', '..']) {
      expect(() => packRelease({ [name]: enc('x') }), name).toThrow(/one path segment/);
    }
    const evil = Buffer.from(packRelease({ 'aa.bin': enc('x') }));
    evil.write('..', 10, 'ascii'); // the name starts after magic, count and name length
    expect(() => unpackRelease(evil)).toThrow(/release file name '\.\.\.bin'/);
  });
});

describe('chunks', () => {
  const payload = new Uint8Array(1000).map((_, i) => (i * 7) % 251);

  it('cover the payload in order, the last one short', () => {
    expect(chunkCount(1000, 256)).toBe(4);
    expect(chunkCount(1024, 256)).toBe(4);
    const chunks = Array.from({ length: 4 }, (_, i) => chunkAt(payload, i, 256));
    expect(chunks.map((c) => c.bytes.length)).toEqual([256, 256, 256, 232]);
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(Buffer.from(payload))).toBe(true);
    expect(chunks.map((c) => c.sha256)).toEqual(chunkHashes(payload, 256));
    expect(() => chunkAt(payload, 4, 256)).toThrow(/outside 0..3/);
  });

  it('frames carry index and sha256; a corrupt frame is refused', () => {
    const c = chunkAt(payload, 2, 256);
    const frame = encodeChunkFrame(c);
    expect(decodeChunkFrame(frame)).toEqual(c);
    const bad = new Uint8Array(frame);
    bad[bad.length - 1] ^= 1;
    expect(() => decodeChunkFrame(bad)).toThrow(/corrupt in transit/);
    expect(() => decodeChunkFrame(frame.subarray(0, 10))).toThrow(/no 'LKC1' header/);
  });
});

describe('release file and payload checks', () => {
  const keys = generateKeys();
  const release = createRelease({
    kind: 'library',
    library: 'classic',
    key: keys.privateKey,
    chunkBytes: 1024,
  });

  it('round-trips envelope and payload and verifies both', () => {
    const decoded = decodeReleaseFile(encodeReleaseFile(release));
    const opened = openRelease(decoded, [keys.publicKey]);
    expect(opened.manifest).toEqual(release.envelope.manifest);
    expect(Buffer.from(opened.payload).equals(Buffer.from(release.payload))).toBe(true);
    const m = opened.manifest;
    expect(m.chunks.length).toBe(Math.ceil(m.size / 1024));
    for (let i = 0; i < m.chunks.length; i++) verifyChunk(m, i, chunkAt(opened.payload, i, 1024).bytes);
  });

  it('refuses a truncated or altered payload against the signed manifest', () => {
    const m = release.envelope.manifest;
    expect(() => verifyPayload(m, release.payload.subarray(0, m.size - 1))).toThrow(/truncated or padded/);
    const altered = new Uint8Array(release.payload);
    altered[100] ^= 0xff;
    expect(() => verifyPayload(m, altered)).toThrow(SignatureError);
    const file = encodeReleaseFile(release);
    expect(() => openRelease(decodeReleaseFile(file.subarray(0, file.length - 5)), [keys.publicKey])).toThrow(
      SignatureError,
    );
    expect(() => decodeReleaseFile(file.subarray(0, 20))).toThrow(/truncated inside the envelope/);
    expect(() => verifyChunk(m, 0, altered.subarray(0, 1024))).toThrow(/does not match the signed manifest/);
  });
});
