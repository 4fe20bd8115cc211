/**
 * Checking an uploaded release file (cloud/fleet/releases/upload.ts): a good release passes;
 * a wrong key, a tampered manifest, a corrupt payload, a chunk list that does not match the
 * payload, a payload that does not unpack, and a broken file are each refused with a reason.
 */
import { describe, expect, it } from 'vitest';
import { checkReleaseFile } from '../../../../cloud/fleet/releases/upload.js';
import { SignatureError } from '../../../../shared/errors.js';
import { chunkHashes, sha256Hex } from '../../../../shared/release/chunks.js';
import { createRelease } from '../../../../shared/release/create.js';
import { generateKeys, keyId } from '../../../../shared/release/keys.js';
import { encodeReleaseFile } from '../../../../shared/release/release-file.js';
import { signManifest } from '../../../../shared/release/sign.js';

const keys = generateKeys();
const other = generateKeys();
const release = createRelease({ kind: 'library', library: 'classic', key: keys.privateKey, chunkBytes: 512 });
const file = encodeReleaseFile(release);

describe('checkReleaseFile', () => {
  it('accepts a release signed by a trusted key and returns its files', () => {
    const c = checkReleaseFile(file, [keys.publicKey]);
    expect(c.signatureVerified).toBe(true);
    expect(c.manifest.sha256).toBe(release.envelope.manifest.sha256);
    expect(Object.keys(c.files)).toEqual(['library.json']);
  });

  it('refuses a release signed by a key it does not trust', () => {
    const foreign = createRelease({
      kind: 'library',
      library: 'classic',
      key: other.privateKey,
      chunkBytes: 512,
    });
    expect(() => checkReleaseFile(encodeReleaseFile(foreign), [keys.publicKey])).toThrow(/unknown key/);
  });

  it('refuses a manifest changed after signing', () => {
    const tampered = {
      envelope: { ...release.envelope, manifest: { ...release.envelope.manifest, version: 'evil' } },
      payload: release.payload,
    };
    expect(() => checkReleaseFile(encodeReleaseFile(tampered), [keys.publicKey])).toThrow(/does not verify/);
  });

  it('refuses a corrupt payload, with or without trusted keys', () => {
    const payload = new Uint8Array(release.payload);
    payload[payload.length - 3]! ^= 0xff;
    const corrupt = encodeReleaseFile({ envelope: release.envelope, payload });
    expect(() => checkReleaseFile(corrupt, [keys.publicKey])).toThrow(SignatureError);
    expect(() => checkReleaseFile(corrupt, [])).toThrow(/does not match the signed manifest/);
    const truncated = encodeReleaseFile({ envelope: release.envelope, payload: payload.subarray(1) });
    expect(() => checkReleaseFile(truncated, [])).toThrow(/truncated or padded/);
  });

  it('refuses a signed manifest whose chunk list does not match the payload', () => {
    const m = release.envelope.manifest;
    const chunks = [...m.chunks];
    chunks[1] = sha256Hex(new Uint8Array([1, 2, 3]));
    const envelope = signManifest({ ...m, chunks }, keys.privateKey);
    const bad = encodeReleaseFile({ envelope, payload: release.payload });
    expect(() => checkReleaseFile(bad, [keys.publicKey])).toThrow(/chunk 1 hashes to/);
  });

  it('refuses a signed payload that is not a release container', () => {
    const payload = new Uint8Array(2000).fill(7);
    const envelope = signManifest(
      {
        ...release.envelope.manifest,
        sha256: sha256Hex(payload),
        size: payload.length,
        chunks: chunkHashes(payload, 512),
        keyId: keyId(keys.publicKey),
      },
      keys.privateKey,
    );
    expect(() => checkReleaseFile(encodeReleaseFile({ envelope, payload }), [keys.publicKey])).toThrow(
      /not a release payload/,
    );
  });

  it('without trusted keys checks everything but the signature, and says so', () => {
    const c = checkReleaseFile(file, []);
    expect(c.signatureVerified).toBe(false);
    expect(() => checkReleaseFile(new Uint8Array([1, 2, 3]), [])).toThrow(/not a liquidkan release file/);
    const { size: _size, ...rest } = release.envelope.manifest;
    const noSize = encodeReleaseFile({
      envelope: { manifest: rest as unknown as typeof release.envelope.manifest, signature: 'x' },
      payload: release.payload,
    });
    expect(() => checkReleaseFile(noSize, [])).toThrow(/release manifest field 'size'/);
  });
});
