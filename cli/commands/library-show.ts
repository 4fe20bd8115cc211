/** `liquidkan library show classic|DIR [--json]`: list a library's entries. */
import { InputError } from '../../shared/errors.js';
import { loadLibrary } from '../../shared/library/library.js';
import type { Command } from '../command.js';
import { JSON_FLAG } from '../command.js';

export const libraryShowCommand: Command = {
  name: 'show',
  summary: 'list the entries of an activation library',
  usage: 'show classic|DIR [--json]',
  flags: { json: JSON_FLAG },
  run(ctx) {
    const ref = ctx.positionals[0];
    if (!ref) throw new InputError('library show: name a library: classic or a directory');
    const lib = loadLibrary(ref);
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ version: lib.version, hash: lib.hash, entries: lib.entries }));
      return;
    }
    ctx.info(`library v${lib.version}  hash ${lib.hash.slice(0, 16)}  ${lib.entries.length} entries`);
    ctx.info(
      `${'id'.padEnd(17)} ${'name'.padEnd(12)} ${'form'.padEnd(10)} ${'tail'.padEnd(8)} lipschitz  monotone    used`,
    );
    for (const e of lib.entries) {
      const g = e.meta.gradient;
      ctx.info(
        `${e.id.padEnd(17)} ${e.name.padEnd(12)} ${e.form.padEnd(10)} ${e.tail.padEnd(8)} ${g.lipschitz.toFixed(3).padStart(9)}  ${g.monotone.padEnd(10)} ${String(e.meta.usage.count).padStart(5)}`,
      );
    }
  },
};
