// Bundles the CLI and the benchmark with esbuild. Dependencies stay external (native addons,
// wasm files and their own lazy loading must resolve from node_modules).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildWebAudio } from './web-bundle.mjs';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};

const cli = await build({
  ...common,
  entryPoints: { cli: 'cli/main.ts', 'scripts/bench': 'scripts/bench.ts' },
  outdir: 'dist',
  // each command is imported when it runs (cli/commands/index.ts); shared code goes to chunks
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
});
// chunks of earlier builds (their names change with their content) are not needed any more
const current = new Set(Object.keys(cli.metafile.outputs).map((p) => p.replace(/^dist\//, '')));
for (const f of readdirSync(join('dist', 'chunks'))) {
  if (!current.has(`chunks/${f}`)) rmSync(join('dist', 'chunks', f), { force: true });
}

await buildWebAudio();
