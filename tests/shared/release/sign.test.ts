/** Signing and verifying release manifests: round trip, and every refusal is a SignatureError. */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManifestError, SignatureError } from '../../../shared/errors.js';
import { canonicalJson } from '../../../shared/io/canonical-json.js';
import { createRelease } from '../../../shared/release/create.js';
import { generateKeys, keyId } from '../../../shared/release/keys.js';
import { signManifest, verifyManifest } from '../../../shared/release/sign.js';

const keys = generateKeys();
const other = generateKeys();
const NOW = new Date('2025-01-02T03:04:05.000Z');
const { envelope } = createRelease({ kind: 'library', library: 'classic', key: keys.privateKey, now: NOW });

/** A JSON copy, as the envelope arrives over the wire. */
function wire(): { manifest: Record<string, unknown>; signature: string } {
  return JSON.parse(JSON.stringify(envelope));
}

describe('release signatures', () => {
  it('round-trips, independent of key order in transit', () => {
    expect(verifyManifest(wire(), [keys.publicKey])).toEqual(envelope.manifest);
    const m = wire().manifest;
    const reordered = {
      signature: envelope.signature,
      manifest: Object.fromEntries(
        Object.keys(m)
          .reverse()
          .map((k) => [k, m[k]]),
      ),
    };
    expect(verifyManifest(reordered, [other.publicKey, keys.publicKey]).sha256).toBe(
      envelope.manifest.sha256,
    );
    expect(envelope.manifest.keyId).toBe(keyId(keys.publicKey));
    expect(keyId(keys.privateKey)).toBe(keyId(keys.publicKey));
    expect(envelope.manifest.createdAt).toBe(NOW.toISOString());
  });

  it('refuses a tampered manifest', () => {
    for (const [field, value] of [
      ['version', '999'],
      ['sha256', 'f'.repeat(64)],
      ['size', envelope.manifest.size + 1],
      ['profiles', ['pi-zero-2w']],
    ] as const) {
      const env = wire();
      env.manifest[field] = value;
      expect(() => verifyManifest(env, [keys.publicKey]), field).toThrow(SignatureError);
      expect(() => verifyManifest(env, [keys.publicKey]), field).toThrow(/tampered/);
    }
    const extra = wire();
    extra.manifest['note'] = 'added';
    expect(() => verifyManifest(extra, [keys.publicKey])).toThrow(/does not verify/);
  });

  it('refuses a release signed by an untrusted key', () => {
    const mine = createRelease({ kind: 'library', library: 'classic', key: other.privateKey, now: NOW });
    expect(() => verifyManifest(mine.envelope, [keys.publicKey])).toThrow(SignatureError);
    expect(() => verifyManifest(mine.envelope, [keys.publicKey])).toThrow(/unknown key/);
    expect(() => verifyManifest(mine.envelope, [])).toThrow(/trusted: none/);
  });

  it('refuses another key signing under a trusted key id', () => {
    const forged = signManifest({ ...envelope.manifest, keyId: keyId(other.publicKey) }, other.privateKey);
    const env = {
      manifest: { ...forged.manifest, keyId: envelope.manifest.keyId },
      signature: forged.signature,
    };
    expect(() => verifyManifest(env, [keys.publicKey])).toThrow(/does not verify with key/);
  });

  it('refuses bad signatures', () => {
    const bad = [
      '',
      'not base64!!',
      Buffer.alloc(63).toString('base64'),
      Buffer.alloc(64).toString('base64'),
      Buffer.from(envelope.signature, 'base64').reverse().toString('base64'),
    ];
    for (const signature of bad) {
      expect(() => verifyManifest({ ...wire(), signature }, [keys.publicKey]), signature).toThrow(
        SignatureError,
      );
    }
    expect(() => verifyManifest({ manifest: envelope.manifest }, [keys.publicKey])).toThrow(SignatureError);
    expect(() =>
      verifyManifest({ ...wire(), manifest: { ...wire().manifest, keyId: undefined } }, []),
    ).toThrow(/names no keyId/);
  });

  it('refuses to sign with a key the manifest does not name, or a non-Ed25519 key', () => {
    expect(() => signManifest(envelope.manifest, other.privateKey)).toThrow(/does not name the signing key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => signManifest(envelope.manifest, rsa)).toThrow(SignatureError);
  });

  it('a manifest that breaks the schema is a ManifestError, signed or not', () => {
    const m = { ...envelope.manifest, chunks: [...envelope.manifest.chunks, 'a'.repeat(64)] };
    expect(() => signManifest(m, keys.privateKey)).toThrow(ManifestError);
    const signature = sign(null, Buffer.from(canonicalJson(m)), keys.privateKey).toString('base64');
    expect(() => verifyManifest({ manifest: m, signature }, [keys.publicKey])).toThrow(
      /field 'chunks': length must be ceil/,
    );
  });
});
