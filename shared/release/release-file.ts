/**
 * The release file that `liquidkan release create` writes (DESIGN "Releases and sync (MQTT)"):
 * the signed envelope and the payload in one file. Layout, integers little-endian:
 *
 *   magic 4 bytes 'LKR1' | envelopeLen u32 | envelope (canonical JSON, UTF-8) | payload (the rest)
 *
 * Reading checks only the framing; openRelease also verifies signature and payload.
 */

import { readFileSync } from 'node:fs';
import { InputError, ManifestError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { canonicalJson } from '../io/canonical-json.js';
import { parseBoundedJson } from '../io/json-depth.js';
import type { ReleaseManifest } from '../types/release.js';
import { verifyPayload } from './chunks.js';
import type { Release } from './create.js';
import type { KeyInput } from './keys.js';
import { verifyManifest } from './sign.js';

export const RELEASE_FILE_MAGIC = 'LKR1';

export function encodeReleaseFile(release: Release): Uint8Array {
  const env = Buffer.from(canonicalJson(release.envelope), 'utf8');
  const out = Buffer.alloc(8 + env.length + release.payload.length);
  out.write(RELEASE_FILE_MAGIC, 0, 'ascii');
  out.writeUInt32LE(env.length, 4);
  out.set(env, 8);
  out.set(release.payload, 8 + env.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** Split a release file into its (unverified) envelope and payload. */
export function decodeReleaseFile(
  bytes: Uint8Array,
  file = 'release file',
): { envelope: unknown; payload: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < 8 || buf.toString('ascii', 0, 4) !== RELEASE_FILE_MAGIC) {
    throw new ManifestError(
      `${file}: does not start with '${RELEASE_FILE_MAGIC}' (not a liquidkan release file)`,
    );
  }
  const envLen = buf.readUInt32LE(4);
  if (8 + envLen > buf.length) {
    throw new ManifestError(`${file}: truncated inside the envelope (${envLen} bytes declared)`);
  }
  let envelope: unknown;
  try {
    envelope = parseBoundedJson(buf.toString('utf8', 8, 8 + envLen));
  } catch (err) {
    throw new ManifestError(`${file}: envelope is not valid JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  return { envelope, payload: new Uint8Array(buf.subarray(8 + envLen)) };
}

export function writeReleaseFile(path: string, release: Release): void {
  writeFileAtomic(path, encodeReleaseFile(release));
}

export function readReleaseFile(path: string): { envelope: unknown; payload: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read the release file (${(err as Error).message})`, { cause: err });
  }
  return decodeReleaseFile(new Uint8Array(bytes), path);
}

/** Verify a decoded release file against trusted keys: the manifest, then the payload. */
export function openRelease(
  decoded: { envelope: unknown; payload: Uint8Array },
  trustedPublicKeys: readonly KeyInput[],
): { manifest: ReleaseManifest; payload: Uint8Array } {
  const manifest = verifyManifest(decoded.envelope, trustedPublicKeys);
  verifyPayload(manifest, decoded.payload);
  return { manifest, payload: decoded.payload };
}
