/**
 * The newest library and model release of a shared cloud, unpacked for its dashboard. The
 * gallery and the model view read files (library.json, a bundle's manifest.json); a single
 * cloud keeps them unpacked next to its payloads, a shared cloud's releases live in PostgreSQL.
 * Each process unpacks the newest release of each kind under `dir/<sha256>/` once (checked
 * against its manifest, written atomically) and answers with that folder.
 *
 * The dashboard reads synchronously, so a read returns the folder found last and starts a
 * refresh when the last one is older than `refreshMs`; refresh() (on start, and when a
 * rollout or a library is announced) looks at once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirAtomic } from '../../../shared/io/atomic.js';
import { verifyPayload } from '../../../shared/release/chunks.js';
import { unpackRelease } from '../../../shared/release/container.js';
import type { ReleaseKind } from '../../../shared/types/release.js';
import type { StoredRelease } from '../releases/types.js';

export interface LatestReleasesOptions {
  readonly latestRelease: (kind: ReleaseKind) => Promise<StoredRelease | null>;
  readonly payload: (sha256: string) => Promise<Uint8Array | undefined>;
  /** Where releases are unpacked (one folder per payload sha256). */
  readonly dir: string;
  /** @defaultValue 5000 */
  readonly refreshMs?: number;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

const KINDS = ['library', 'model'] as const satisfies readonly ReleaseKind[];

export class LatestReleases {
  readonly #o: LatestReleasesOptions;
  readonly #dirs: Record<(typeof KINDS)[number], string | null> = { library: null, model: null };
  /** The last failure logged per kind: a release that cannot be unpacked is logged once, not on every look. */
  readonly #failed: Record<(typeof KINDS)[number], string | null> = { library: null, model: null };
  #checkedMs = Number.NEGATIVE_INFINITY;
  #running: Promise<void> | null = null;

  constructor(o: LatestReleasesOptions) {
    this.#o = o;
  }

  /** The newest release of `kind` unpacked, as last found (null: none yet). */
  dir(kind: (typeof KINDS)[number]): string | null {
    const now = (this.#o.now ?? Date.now)();
    if (now - this.#checkedMs >= (this.#o.refreshMs ?? 5000)) void this.refresh();
    return this.#dirs[kind];
  }

  /** Looks for newer releases now (one look at a time; a call during one waits for it). */
  refresh(): Promise<void> {
    this.#running ??= this.#look().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #look(): Promise<void> {
    this.#checkedMs = (this.#o.now ?? Date.now)();
    for (const kind of KINDS) {
      try {
        const r = await this.#o.latestRelease(kind);
        if (!r) continue;
        const dir = join(this.#o.dir, r.manifest.sha256);
        if (!existsSync(dir)) {
          const payload = await this.#o.payload(r.manifest.sha256);
          if (!payload) throw new Error(`release ${r.version}: its payload is not in the store`);
          verifyPayload(r.manifest, payload);
          writeDirAtomic(dir, unpackRelease(payload));
        }
        this.#dirs[kind] = dir;
        this.#failed[kind] = null;
      } catch (err) {
        const why = `the newest ${kind} release could not be unpacked: ${(err as Error).message}`;
        if (why !== this.#failed[kind]) this.#o.log(why);
        this.#failed[kind] = why;
      }
    }
  }
}
