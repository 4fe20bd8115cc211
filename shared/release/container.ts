/**
 * The release payload: a deterministic container of flat files (DESIGN "Releases and sync
 * (MQTT)": what the signed sha256 and size describe). Layout, all integers little-endian:
 *
 *   magic   4 bytes  'LKP1'
 *   count   u32      number of files
 *   count × { nameLen u16, name (UTF-8, nameLen bytes), size u32, bytes (size bytes) }
 *
 * Files are sorted by name (byte order) and nothing follows the last one, so the same files
 * always give the same bytes. Names are single path segments of [A-Za-z0-9._-] not starting
 * with '.', so unpacking can never write outside the target directory.
 */
import { ManifestError } from '../errors.js';

export const CONTAINER_MAGIC = 'LKP1';
export const FILE_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;
const MAX_FILE_BYTES = 0xffff_ffff;

export type ReleaseFiles = Readonly<Record<string, Uint8Array>>;

function checkName(name: string): void {
  if (!FILE_NAME_PATTERN.test(name)) {
    throw new ManifestError(
      `release file name '${name}' must be one path segment of [A-Za-z0-9._-] not starting with '.'`,
    );
  }
}

/** Pack files into the container (sorted by name). */
export function packRelease(files: ReleaseFiles): Uint8Array {
  const names = Object.keys(files).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (names.length === 0) throw new ManifestError('a release needs at least one file');
  let total = 8;
  for (const name of names) {
    checkName(name);
    const size = files[name]!.length;
    if (size > MAX_FILE_BYTES) throw new ManifestError(`release file '${name}' is over 4 GiB`);
    total += 2 + Buffer.byteLength(name) + 4 + size;
  }
  const out = Buffer.alloc(total);
  out.write(CONTAINER_MAGIC, 0, 'ascii');
  out.writeUInt32LE(names.length, 4);
  let off = 8;
  for (const name of names) {
    const bytes = files[name]!;
    off = out.writeUInt16LE(Buffer.byteLength(name), off);
    off += out.write(name, off, 'utf8');
    off = out.writeUInt32LE(bytes.length, off);
    out.set(bytes, off);
    off += bytes.length;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Unpack the container; truncation, trailing bytes, bad names and duplicates are refused. */
export function unpackRelease(payload: Uint8Array): Record<string, Uint8Array> {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  const fail = (why: string) => new ManifestError(`release payload (${buf.length} bytes): ${why}`);
  if (buf.length < 8) throw fail('truncated: shorter than the 8-byte header');
  if (buf.toString('ascii', 0, 4) !== CONTAINER_MAGIC) {
    throw fail(`does not start with '${CONTAINER_MAGIC}' (not a release payload)`);
  }
  const count = buf.readUInt32LE(4);
  const files: Record<string, Uint8Array> = {};
  let off = 8;
  for (let i = 0; i < count; i++) {
    if (off + 2 > buf.length) throw fail(`truncated at byte ${off}: file ${i + 1} of ${count} is missing`);
    const nameLen = buf.readUInt16LE(off);
    if (off + 2 + nameLen + 4 > buf.length)
      throw fail(`truncated at byte ${off}: header of file ${i + 1} of ${count}`);
    const name = buf.toString('utf8', off + 2, off + 2 + nameLen);
    off += 2 + nameLen;
    checkName(name);
    if (Object.hasOwn(files, name)) throw fail(`file '${name}' appears twice`);
    const size = buf.readUInt32LE(off);
    off += 4;
    if (off + size > buf.length) {
      throw fail(`truncated: file '${name}' declares ${size} bytes, only ${buf.length - off} remain`);
    }
    files[name] = new Uint8Array(buf.subarray(off, off + size));
    off += size;
  }
  if (off !== buf.length) throw fail(`${buf.length - off} bytes after the last of ${count} files`);
  return files;
}
