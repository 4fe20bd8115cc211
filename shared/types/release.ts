/**
 * The release contract between cloud and device (DESIGN "Releases and sync (MQTT)": "a release
 * is a manifest {kind, version, sha256, size, chunk size, profile constraints} signed with
 * Ed25519"). The signature covers canonicalJson(manifest) as UTF-8 (shared/io/canonical-json.ts),
 * so key order and whitespace in transit do not matter. The manifest lists every chunk's sha256,
 * so a corrupt chunk is caught against signed data as soon as it arrives.
 */
import * as z from '../zod.js';

export const RELEASE_FORMAT = 'liquidkan-release';
export const RELEASE_KINDS = ['library', 'model'] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

/** Smallest and largest chunk size a manifest may declare. */
export const MIN_CHUNK_BYTES = 256;
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

const Sha256Hex = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256)'));

export const ReleaseManifestSchema = z
  .strictObject({
    format: z.literal(RELEASE_FORMAT),
    formatVersion: z.literal(1),
    kind: z.enum(RELEASE_KINDS),
    /** Free-form release version, e.g. the library version or a model tag. */
    version: z.string().check(z.regex(/^[A-Za-z0-9._+-]{1,64}$/, 'must be 1–64 of A-Z a-z 0-9 . _ + -')),
    /** sha256 of the whole payload (the release container, see shared/release/container.ts). */
    sha256: Sha256Hex,
    /** Payload size in bytes. */
    size: z.int().check(z.positive()),
    chunkBytes: z.int().check(z.gte(MIN_CHUNK_BYTES), z.lte(MAX_CHUNK_BYTES)),
    /** sha256 of each chunk in order; length is ceil(size / chunkBytes). */
    chunks: z.array(Sha256Hex).check(z.minLength(1)),
    /** Firmware profile names the release may be installed on. */
    profiles: z.array(z.string().check(z.regex(/^[a-z0-9-]+$/))).check(z.minLength(1)),
    /** ISO 8601 time of signing. */
    createdAt: z.iso.datetime(),
    /** Signing key: the first 16 hex digits of sha256 over the public key's SPKI DER bytes. */
    keyId: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
    /**
     * The signed downgrade marker: devices install this release even when they have run a newer
     * one of its kind (shared/release/order.ts). Absent on ordinary releases.
     */
    downgrade: z.optional(z.literal(true)),
  })
  .check(
    z.refine((m) => m.chunks.length === Math.ceil(m.size / m.chunkBytes), {
      path: ['chunks'],
      message: 'length must be ceil(size / chunkBytes)',
    }),
  );

export type ReleaseManifest = z.output<typeof ReleaseManifestSchema>;

/** What travels and is stored: the manifest and an Ed25519 signature over its canonical JSON. */
export const ReleaseEnvelopeSchema = z.strictObject({
  manifest: z.unknown(),
  /** Base64 of the 64-byte Ed25519 signature. */
  signature: z.string(),
});

export interface ReleaseEnvelope {
  readonly manifest: ReleaseManifest;
  readonly signature: string;
}

/** Whether a release may go onto a board running `profile`. */
export function releaseAllowsProfile(manifest: ReleaseManifest, profile: string): boolean {
  return manifest.profiles.includes(profile);
}
