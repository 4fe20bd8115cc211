/**
 * Where the installed package lives, found by walking up from this module to the package.json
 * named liquidkan. Works from the TypeScript sources and from the esbuild bundle in dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'liquidkan'
    ) {
      cached = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir)
      throw new Error('cannot find the liquidkan package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}
