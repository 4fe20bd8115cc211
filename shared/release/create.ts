/**
 * Building a signed release from a library or an exported model bundle (DESIGN "Releases and
 * sync (MQTT)": "a release is a manifest {kind, version, sha256, size, chunk size, profile
 * constraints} signed with Ed25519"). Publishing it is a separate call (STYLE 10).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { MANIFEST_FILE } from '../export/export.js';
import { parseWithSchema } from '../io/json-file.js';
import {
  type ActivationLibrary,
  LIBRARY_FILE,
  libraryToJson,
  loadLibrary,
  parseLibrary,
} from '../library/library.js';
import { listProfiles } from '../profiles.js';
import { ExportManifestSchema } from '../types/manifest.js';
import {
  MAX_CHUNK_BYTES,
  MIN_CHUNK_BYTES,
  RELEASE_FORMAT,
  type ReleaseEnvelope,
  type ReleaseKind,
  type ReleaseManifest,
} from '../types/release.js';
import { chunkHashes, sha256Hex } from './chunks.js';
import { packRelease, type ReleaseFiles } from './container.js';
import { type KeyInput, keyId } from './keys.js';
import { signManifest } from './sign.js';

export const RELEASE_DEFAULTS = Object.freeze({
  /** @defaultValue 65536 (64 KiB per MQTT chunk message) */
  chunkBytes: 64 * 1024,
});

export interface CreateReleaseOptions {
  readonly kind: ReleaseKind;
  /**
   * kind 'library': a directory holding library.json, or the file itself (its bytes travel
   * unchanged); kind 'model': an exported bundle directory (manifest.json + files, flat).
   */
  readonly dir?: string;
  /** kind 'library' only: a library in memory, or 'classic' for the built-in one. */
  readonly library?: ActivationLibrary | 'classic';
  /** Ed25519 private key (PEM or KeyObject). */
  readonly key: KeyInput;
  /** @defaultValue RELEASE_DEFAULTS.chunkBytes */
  readonly chunkBytes?: number;
  /** @defaultValue the library's version; for a model, the first 12 hex digits of the payload sha256 */
  readonly version?: string;
  /** @defaultValue every known profile for a library; the bundle's profile for a model */
  readonly profiles?: readonly string[];
  /** Signing time. @defaultValue now */
  readonly now?: Date;
  /** Sign the downgrade marker: devices that ran a newer release install this one. @defaultValue false */
  readonly downgrade?: boolean;
}

export interface Release {
  readonly envelope: ReleaseEnvelope;
  readonly payload: Uint8Array;
}

interface Collected {
  readonly files: ReleaseFiles;
  readonly version?: string;
  readonly profiles: readonly string[];
}

function libraryFiles(opts: CreateReleaseOptions): Collected {
  if (opts.library !== undefined && opts.dir !== undefined) {
    throw new InputError('a library release takes either a library or a dir, not both');
  }
  let bytes: Uint8Array;
  let lib: ActivationLibrary;
  if (opts.dir !== undefined && opts.dir !== 'classic') {
    const file = opts.dir.endsWith('.json') ? opts.dir : join(opts.dir, LIBRARY_FILE);
    lib = loadLibrary(file);
    bytes = new Uint8Array(readFileSync(file));
  } else {
    const ref = opts.library ?? 'classic';
    lib = ref === 'classic' ? loadLibrary('classic') : ref;
    bytes = new Uint8Array(Buffer.from(libraryToJson(lib), 'utf8'));
    parseLibrary(JSON.parse(Buffer.from(bytes).toString('utf8')), 'library (in memory)');
  }
  return { files: { [LIBRARY_FILE]: bytes }, version: String(lib.version), profiles: listProfiles() };
}

function modelFiles(opts: CreateReleaseOptions): Collected {
  const dir = opts.dir;
  if (dir === undefined || opts.library !== undefined) {
    throw new InputError('a model release takes dir (an exported bundle directory) and no library');
  }
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch (err) {
    throw new InputError(`${dir}: cannot list the bundle directory (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (!names.includes(MANIFEST_FILE)) {
    throw new InputError(
      `${dir}: not an exported bundle (no ${MANIFEST_FILE}); run 'liquidkan export' first`,
    );
  }
  const files: Record<string, Uint8Array> = {};
  for (const name of names) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) throw new InputError(`${path}: a release bundle holds plain files only`);
    files[name] = new Uint8Array(readFileSync(path));
  }
  const manifestFile = join(dir, MANIFEST_FILE);
  const text = Buffer.from(files[MANIFEST_FILE]!).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${manifestFile}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const manifest = parseWithSchema(ExportManifestSchema, json, manifestFile);
  for (const [field, entry] of [
    ['step.file', manifest.step.file],
    ['sequence.file', manifest.sequence.file],
  ] as const) {
    const bytes = files[entry.file];
    if (!bytes || bytes.length !== entry.bytes || sha256Hex(bytes) !== entry.sha256) {
      throw new InputError(`${join(dir, entry.file)}: missing or does not match ${MANIFEST_FILE} ${field}`);
    }
  }
  return { files, profiles: [manifest.profile] };
}

/** Build the payload and the signed manifest of a release. */
export function createRelease(opts: CreateReleaseOptions): Release {
  const collected = opts.kind === 'library' ? libraryFiles(opts) : modelFiles(opts);
  const payload = packRelease(collected.files);
  const chunkBytes = opts.chunkBytes ?? RELEASE_DEFAULTS.chunkBytes;
  if (!Number.isInteger(chunkBytes) || chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
    throw new InputError(
      `chunkBytes ${chunkBytes} must be an integer from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}`,
    );
  }
  const sha256 = sha256Hex(payload);
  const manifest: ReleaseManifest = {
    format: RELEASE_FORMAT,
    formatVersion: 1,
    kind: opts.kind,
    version: opts.version ?? collected.version ?? sha256.slice(0, 12),
    sha256,
    size: payload.length,
    chunkBytes,
    chunks: chunkHashes(payload, chunkBytes),
    profiles: [...(opts.profiles ?? collected.profiles)],
    createdAt: (opts.now ?? new Date()).toISOString(),
    keyId: keyId(opts.key),
    ...(opts.downgrade ? { downgrade: true as const } : {}),
  };
  return { envelope: signManifest(manifest, opts.key), payload };
}
