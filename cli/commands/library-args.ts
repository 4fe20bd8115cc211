/** Argument checks shared by the library subcommands: positional libraries and output paths. */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../../shared/errors.js';

/** The n-th positional, or an error naming what it should be. */
export function libraryArg(positionals: readonly string[], i: number, what: string, usage: string): string {
  const ref = positionals[i];
  if (!ref) throw new InputError(`name ${what}: classic or a directory with library.json (usage: ${usage})`);
  return ref;
}

/** The directory a library reference reads from (null for the built-in 'classic'). */
function inputDir(ref: string): string | null {
  if (ref === 'classic') return null;
  return resolve(ref.endsWith('.json') ? dirname(ref) : ref);
}

/**
 * Check --out DIR for a new library.json: not one of the input libraries' directories, not a
 * file, not a model directory (replacing its library.json would break the model's hash link).
 */
export function checkLibraryOutDir(out: string, inputs: readonly string[]): string {
  const dir = resolve(out);
  for (const ref of inputs) {
    if (inputDir(ref) === dir) {
      throw new InputError(`--out ${out}: is the input library '${ref}'; refusing to overwrite an input`);
    }
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new InputError(`--out ${out}: exists and is not a directory`);
  }
  if (existsSync(resolve(dir, 'model.json'))) {
    throw new InputError(
      `--out ${out}: is a model directory (has model.json); write the library to a directory of its own`,
    );
  }
  return dir;
}
