/** `liquidkan library plot DIR|classic --out FILE.svg [--json]`: the gallery of a library's curves. */
import { extname, resolve } from 'node:path';
import { librarySvg } from '../../cloud/library/plot.js';
import { InputError } from '../../shared/errors.js';
import { writeFileAtomic } from '../../shared/io/atomic.js';
import { loadLibrary } from '../../shared/library/library.js';
import type { Command } from '../command.js';
import { JSON_FLAG, stringFlag } from '../command.js';
import { libraryArg } from './library-args.js';

const USAGE = 'plot DIR|classic --out FILE.svg [--json]';

function svgPath(out: string): string {
  const ext = extname(out).toLowerCase();
  if (ext === '.png') {
    throw new InputError(
      `--out ${out}: PNG is not supported (it would need a rasteriser or a native dependency); ` +
        'write FILE.svg and open it in a browser, or convert it with any SVG tool',
    );
  }
  if (ext !== '.svg') throw new InputError(`--out ${out}: must end in .svg`);
  return resolve(out);
}

export const libraryPlotCommand: Command = {
  name: 'plot',
  summary: 'draw every entry of a library as an SVG gallery',
  usage: USAGE,
  flags: {
    out: { type: 'string', value: 'FILE.svg', required: true, description: 'SVG file to write' },
    json: JSON_FLAG,
  },
  run(ctx) {
    const ref = libraryArg(ctx.positionals, 0, 'a library', USAGE);
    const file = svgPath(stringFlag(ctx.flags, 'out'));
    const lib = loadLibrary(ref);
    const svg = librarySvg(lib);
    writeFileAtomic(file, svg);
    if (ctx.json) {
      ctx.stdout(
        JSON.stringify({
          file,
          version: lib.version,
          hash: lib.hash,
          panels: lib.entries.length,
          bytes: Buffer.byteLength(svg),
        }),
      );
      return;
    }
    ctx.info(`wrote ${file} (${lib.entries.length} panels, library v${lib.version})`);
  },
};
