/**
 * Signing and verifying release manifests (DESIGN "Releases and sync (MQTT)": "signed with
 * Ed25519 (node:crypto); devices hold the public key and refuse anything else"). The signed
 * bytes are canonicalJson(manifest) in UTF-8. Verification checks the key first, then the
 * signature over the manifest exactly as received, and only then the manifest's schema.
 */
import { sign, verify } from 'node:crypto';
import { ManifestError, SignatureError } from '../errors.js';
import { canonicalJson } from '../io/canonical-json.js';
import { firstIssue } from '../io/json-file.js';
import {
  type ReleaseEnvelope,
  ReleaseEnvelopeSchema,
  type ReleaseManifest,
  ReleaseManifestSchema,
} from '../types/release.js';
import { asPrivateKey, type KeyInput, keyId, publicKeyOf } from './keys.js';

const SIGNATURE_BYTES = 64;

/** The bytes a signature covers. */
export function signedBytes(manifest: unknown): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

function checkManifest(value: unknown, where: string): ReleaseManifest {
  const r = ReleaseManifestSchema.safeParse(value);
  if (!r.success) {
    const { field, message } = firstIssue(r.error);
    throw new ManifestError(`${where}: release manifest field '${field}': ${message}`);
  }
  return r.data;
}

/** Sign a manifest with an Ed25519 private key; the manifest's keyId must name that key. */
export function signManifest(manifest: ReleaseManifest, privateKey: KeyInput): ReleaseEnvelope {
  const checked = checkManifest(manifest, 'signManifest');
  const key = asPrivateKey(privateKey);
  const id = keyId(key);
  if (checked.keyId !== id) {
    throw new SignatureError(
      `manifest keyId ${checked.keyId} does not name the signing key (its id is ${id})`,
    );
  }
  const signature = sign(null, signedBytes(checked), key).toString('base64');
  return { manifest: checked, signature };
}

/**
 * Check an envelope against the trusted public keys and return its manifest. Throws a
 * SignatureError naming why: an unknown key, a malformed signature, or a signature that does
 * not verify (the manifest was changed after signing, or another key signed it). A manifest
 * that verifies but breaks the schema throws a ManifestError.
 */
export function verifyManifest(envelope: unknown, trustedPublicKeys: readonly KeyInput[]): ReleaseManifest {
  const env = ReleaseEnvelopeSchema.safeParse(envelope);
  if (!env.success) {
    const { field, message } = firstIssue(env.error);
    throw new SignatureError(`release envelope is not {manifest, signature}: ${field} ${message}`);
  }
  const raw = env.data.manifest;
  const claimed =
    raw !== null && typeof raw === 'object' && typeof (raw as Record<string, unknown>)['keyId'] === 'string'
      ? ((raw as Record<string, unknown>)['keyId'] as string)
      : undefined;
  if (claimed === undefined) throw new SignatureError('release manifest names no keyId; refusing it');
  const trusted = trustedPublicKeys.map((k) => ({ id: keyId(k), key: publicKeyOf(k) }));
  const match = trusted.find((t) => t.id === claimed);
  if (!match) {
    throw new SignatureError(
      `release signed by unknown key ${claimed} (trusted: ${trusted.map((t) => t.id).join(', ') || 'none'}); refusing it`,
    );
  }
  const sig = Buffer.from(env.data.signature, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(env.data.signature) || sig.length !== SIGNATURE_BYTES) {
    throw new SignatureError(
      `release signature is not a valid Ed25519 signature (${SIGNATURE_BYTES} bytes of base64); refusing it`,
    );
  }
  if (!verify(null, signedBytes(raw), match.key, sig)) {
    throw new SignatureError(
      `release signature does not verify with key ${claimed}: the manifest was tampered with after signing, or the signature is not this key's; refusing it`,
    );
  }
  return checkManifest(raw, 'verifyManifest');
}
