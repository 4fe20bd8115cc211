/** `liquidkan library merge A B --out DIR [--json]`: the union of two libraries, written atomically. */
import { loadLibrary, saveLibrary } from '../../shared/library/library.js';
import { mergeLibrariesReport } from '../../shared/library/merge.js';
import { NEAR_DUPLICATE_DISTANCE } from '../../shared/library/near.js';
import type { Command } from '../command.js';
import { JSON_FLAG, stringFlag } from '../command.js';
import { checkLibraryOutDir, libraryArg } from './library-args.js';

const USAGE = 'merge A B --out DIR [--json]';

export const libraryMergeCommand: Command = {
  name: 'merge',
  summary: `merge library B into A (same ids and near-duplicates within distance ${NEAR_DUPLICATE_DISTANCE} kept once)`,
  usage: USAGE,
  flags: {
    out: {
      type: 'string',
      value: 'DIR',
      required: true,
      description: 'directory for the merged library.json',
    },
    json: JSON_FLAG,
  },
  run(ctx) {
    const refA = libraryArg(ctx.positionals, 0, 'library A', USAGE);
    const refB = libraryArg(ctx.positionals, 1, 'library B', USAGE);
    const dir = checkLibraryOutDir(stringFlag(ctx.flags, 'out'), [refA, refB]);
    const a = loadLibrary(refA);
    const b = loadLibrary(refB);
    const { library, added, merged } = mergeLibrariesReport(a, b);
    const file = saveLibrary(dir, library);
    if (ctx.json) {
      ctx.stdout(
        JSON.stringify({
          file,
          version: library.version,
          hash: library.hash,
          parent: library.parent,
          entries: library.entries.length,
          added: added.length,
          merged: merged.length,
          addedIds: added,
          mergedEntries: merged,
        }),
      );
      return;
    }
    ctx.info(
      `library v${library.version}  hash ${library.hash.slice(0, 16)}  ${library.entries.length} entries`,
    );
    ctx.info(`  from A v${a.version} (${a.entries.length}) and B v${b.version} (${b.entries.length})`);
    ctx.info(`  added ${added.length} new entries from B, merged ${merged.length} into existing ones`);
    for (const m of merged) {
      ctx.info(
        `    ${m.name} (${m.id}) → ${m.into}${m.distance > 0 ? `  distance ${m.distance.toFixed(4)}` : ''}`,
      );
    }
    ctx.info(`wrote ${file}`);
  },
};
