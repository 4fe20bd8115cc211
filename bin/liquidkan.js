#!/usr/bin/env node
// Thin launcher: the CLI is bundled to dist/cli.js by `npm run build` (run on npm install).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli.js');
if (!existsSync(entry)) {
  process.stderr.write('liquidkan: dist/cli.js is missing; run `npm run build` (npm install runs it)\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
