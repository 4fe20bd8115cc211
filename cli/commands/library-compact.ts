/** `liquidkan library compact DIR --profile NAME --out DIR [--json]`: fit a board's entry budget. */
import { compactLibraryReport } from '../../shared/library/compact.js';
import { loadLibrary, saveLibrary } from '../../shared/library/library.js';
import { loadProfile } from '../../shared/profiles.js';
import type { Command } from '../command.js';
import { JSON_FLAG, stringFlag } from '../command.js';
import { checkLibraryOutDir, libraryArg } from './library-args.js';

const USAGE = 'compact DIR|classic --profile NAME --out DIR [--json]';

export const libraryCompactCommand: Command = {
  name: 'compact',
  summary: "cut a library to a firmware profile's libraryEntryBudget (builtins kept, then by usage)",
  usage: USAGE,
  flags: {
    profile: {
      type: 'string',
      value: 'NAME',
      required: true,
      description: 'firmware profile (pi4, pi-zero-2w, …) or path to its JSON',
    },
    out: {
      type: 'string',
      value: 'DIR',
      required: true,
      description: 'directory for the compacted library.json',
    },
    json: JSON_FLAG,
  },
  run(ctx) {
    const ref = libraryArg(ctx.positionals, 0, 'a library', USAGE);
    const dir = checkLibraryOutDir(stringFlag(ctx.flags, 'out'), [ref]);
    const profile = loadProfile(stringFlag(ctx.flags, 'profile'));
    const lib = loadLibrary(ref);
    const report = compactLibraryReport(lib, profile);
    const { library } = report;
    const file = saveLibrary(dir, library);
    if (ctx.json) {
      ctx.stdout(
        JSON.stringify({
          file,
          version: library.version,
          hash: library.hash,
          parent: library.parent,
          profile: profile.name,
          budget: report.budget,
          entries: library.entries.length,
          kept: report.kept,
          merged: report.merged,
          dropped: report.dropped,
        }),
      );
      return;
    }
    ctx.info(
      `library v${library.version}  hash ${library.hash.slice(0, 16)}  ${library.entries.length}/${report.budget} entries (profile ${profile.name})`,
    );
    ctx.info(
      `  from v${lib.version} (${lib.entries.length} entries): merged ${report.merged.length} near-duplicates, dropped ${report.dropped.length}`,
    );
    ctx.info(`wrote ${file}`);
  },
};
