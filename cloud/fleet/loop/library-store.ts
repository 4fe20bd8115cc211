/**
 * The cloud's library versions: DATA/library/v{N}/library.json, one directory per version, and
 * DATA/library/current/library.json, a copy of the version in use. Both directories are written
 * whole and renamed into place (writeDirAtomic), the version first, so a reader of current sees
 * the old library or the new one and never a mix, and a crash between the two writes leaves the
 * old current intact. A copy rather than a pointer file or a symlink: anything that wants "the
 * current library" opens DATA/library/current like any other library directory.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeDirAtomic } from '../../../shared/io/atomic.js';
import {
  type ActivationLibrary,
  LIBRARY_FILE,
  libraryToJson,
  loadLibrary,
} from '../../../shared/library/library.js';
import type { LibraryVersionsApi } from '../store/types.js';

export const LIBRARY_ROOT = 'library';
export const CURRENT_DIR = 'current';

export interface LibraryVersion {
  readonly version: number;
  /** Absolute directory holding library.json. */
  readonly dir: string;
  readonly current: boolean;
}

function root(dataDir: string): string {
  return join(dataDir, LIBRARY_ROOT);
}

/** The version a library.json declares, without validating the entries; null when unreadable. */
function declaredVersion(dir: string): number | null {
  try {
    const v = (JSON.parse(readFileSync(join(dir, LIBRARY_FILE), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
  } catch {
    return null;
  }
}

/** DATA/library/current, or null before the loop made a library (the caller falls back to its default). */
export function currentLibraryDir(dataDir: string): string | null {
  const dir = join(root(dataDir), CURRENT_DIR);
  return existsSync(join(dir, LIBRARY_FILE)) ? dir : null;
}

/** The version of DATA/library/current, or null. */
export function currentLibraryVersion(dataDir: string): number | null {
  const dir = currentLibraryDir(dataDir);
  return dir ? declaredVersion(dir) : null;
}

/** Every version under DATA/library, oldest first; `current` marks the one current is a copy of. */
export function libraryVersions(dataDir: string): LibraryVersion[] {
  const base = root(dataDir);
  if (!existsSync(base)) return [];
  const current = currentLibraryVersion(dataDir);
  return readdirSync(base)
    .filter((n) => /^v\d+$/.test(n) && existsSync(join(base, n, LIBRARY_FILE)))
    .map((n) => ({
      version: Number(n.slice(1)),
      dir: join(base, n),
      current: Number(n.slice(1)) === current,
    }))
    .sort((a, b) => a.version - b.version);
}

/** Writes DATA/library/v{N} (replacing a leftover of a crashed run), then DATA/library/current. */
export function installLibraryVersion(dataDir: string, lib: ActivationLibrary): LibraryVersion {
  const files = { [LIBRARY_FILE]: libraryToJson(lib) };
  const dir = join(root(dataDir), `v${lib.version}`);
  writeDirAtomic(dir, files);
  writeDirAtomic(join(root(dataDir), CURRENT_DIR), files);
  return { version: lib.version, dir, current: true };
}

/**
 * The versions under DATA/library as the loop's LibraryVersionsApi. `currentDir` overrides where
 * the library discovery grows lives (HungerPolicyOptions.currentLibraryDir).
 */
export class FileLibraryVersions implements LibraryVersionsApi {
  constructor(
    readonly dataDir: string,
    private readonly currentDir: () => string | null = () => currentLibraryDir(dataDir),
  ) {}

  current(): ActivationLibrary | null {
    const dir = this.currentDir();
    return dir ? loadLibrary(dir) : null;
  }

  versions(): { version: number; current: boolean; where: string }[] {
    return libraryVersions(this.dataDir).map((v) => ({
      version: v.version,
      current: v.current,
      where: v.dir,
    }));
  }

  install(lib: ActivationLibrary): { version: number; where: string } {
    const installed = installLibraryVersion(this.dataDir, lib);
    return { version: installed.version, where: relative(this.dataDir, installed.dir) };
  }
}
