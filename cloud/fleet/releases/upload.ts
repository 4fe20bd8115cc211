/**
 * Checking an uploaded release file (shared/release/release-file.ts format) before the cloud
 * stores it: the framing, the envelope and manifest schemas, the signature against the trusted
 * keys when the cloud has any, the payload's size and sha256, every chunk's sha256, and that
 * the payload unpacks. A release that would fail on every device is refused here instead.
 */
import { ManifestError, SignatureError } from '../../../shared/errors.js';
import { firstIssue } from '../../../shared/io/json-file.js';
import { chunkHashes, verifyPayload } from '../../../shared/release/chunks.js';
import { unpackRelease } from '../../../shared/release/container.js';
import type { KeyInput } from '../../../shared/release/keys.js';
import { decodeReleaseFile } from '../../../shared/release/release-file.js';
import { verifyManifest } from '../../../shared/release/sign.js';
import {
  ReleaseEnvelopeSchema,
  type ReleaseManifest,
  ReleaseManifestSchema,
} from '../../../shared/types/release.js';

export interface CheckedRelease {
  readonly manifest: ReleaseManifest;
  readonly signature: string;
  readonly payload: Uint8Array;
  readonly signatureVerified: boolean;
  /** The payload's files (shared/release/container.ts), for unpacking next to it. */
  readonly files: Readonly<Record<string, Uint8Array>>;
}

function parseEnvelope(envelope: unknown): { manifest: ReleaseManifest; signature: string } {
  const env = ReleaseEnvelopeSchema.safeParse(envelope);
  if (!env.success) {
    const { field, message } = firstIssue(env.error);
    throw new ManifestError(`release envelope field '${field}': ${message}`);
  }
  const m = ReleaseManifestSchema.safeParse(env.data.manifest);
  if (!m.success) {
    const { field, message } = firstIssue(m.error);
    throw new ManifestError(`release manifest field '${field}': ${message}`);
  }
  return { manifest: m.data, signature: env.data.signature };
}

/**
 * Throws a ManifestError (bad framing or schema) or a SignatureError (signature, payload or
 * chunk mismatch) naming the first problem.
 */
export function checkReleaseFile(bytes: Uint8Array, trustedKeys: readonly KeyInput[]): CheckedRelease {
  const decoded = decodeReleaseFile(bytes, 'uploaded release');
  const { manifest, signature } = parseEnvelope(decoded.envelope);
  const signatureVerified = trustedKeys.length > 0;
  if (signatureVerified) verifyManifest(decoded.envelope, trustedKeys);
  verifyPayload(manifest, decoded.payload);
  const hashes = chunkHashes(decoded.payload, manifest.chunkBytes);
  const bad = hashes.findIndex((h, i) => h !== manifest.chunks[i]);
  if (bad >= 0) {
    throw new SignatureError(
      `release ${manifest.version}: chunk ${bad} hashes to ${hashes[bad]}, the manifest lists ${manifest.chunks[bad]}`,
    );
  }
  const files = unpackRelease(decoded.payload);
  return { manifest, signature, payload: decoded.payload, signatureVerified, files };
}
