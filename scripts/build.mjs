// Bundles the CLI and the benchmark with esbuild. Dependencies stay external (native addons,
// wasm files and their own lazy loading must resolve from node_modules).
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

await build({
  ...common,
  entryPoints: { cli: 'cli/main.ts', 'scripts/bench': 'scripts/bench.ts' },
  outdir: 'dist',
});

await buildWebAudio();
