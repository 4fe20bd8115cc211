/** A small model-kind release (one file, `model.txt`, naming its version) for the slot tests. */

import { sha256Hex } from '../../../shared/release/chunks.js';
import { packRelease } from '../../../shared/release/container.js';
import type { ReleaseManifest } from '../../../shared/types/release.js';

export function fakeRelease(version: string): { manifest: ReleaseManifest; payload: Uint8Array } {
  const payload = packRelease({ 'model.txt': new Uint8Array(Buffer.from(`model ${version}\n`)) });
  const sha256 = sha256Hex(payload);
  const manifest: ReleaseManifest = {
    format: 'liquidkan-release',
    formatVersion: 1,
    kind: 'model',
    version,
    sha256,
    size: payload.length,
    chunkBytes: 65536,
    chunks: [sha256],
    profiles: ['pi4'],
    createdAt: '2025-01-01T00:00:00.000Z',
    keyId: '0123456789abcdef',
  };
  return { manifest, payload };
}
