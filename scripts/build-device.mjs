// The device runtime as one deployable folder, dist/device/: the CLI bundled by esbuild with
// everything but onnxruntime-node and onnxruntime-web inlined, plus onnxruntime-node (with only
// its linux arm64 and x64 binaries) and onnxruntime-common copied beside it, so a board needs
// Node and nothing from npm. onnxruntime-web is left out of the folder: it is the wasm fallback,
// installed separately where a board needs it (e.g. 32-bit ARM).
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'device');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { 'liquidkan-device': join(root, 'cli', 'device-main.ts') },
  outdir: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  external: ['onnxruntime-node', 'onnxruntime-web'],
  // bundled CommonJS (protobufjs) calls require(); give the ESM bundle one
  banner: {
    js: "import { createRequire as __lkRequire } from 'node:module'; const require = __lkRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
writeFileSync(
  join(out, 'liquidkan-device.mjs'),
  [
    '#!/usr/bin/env node',
    "import { main } from './liquidkan-device.js';",
    'process.exitCode = await main(process.argv.slice(2));',
    '',
  ].join('\n'),
  { mode: 0o755 },
);
// named liquidkan so that packageRoot() finds this folder, and the profiles it names by name
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: 'liquidkan', version, type: 'module', private: true }, null, 2)}\n`,
);
cpSync(join(root, 'firmware-profiles'), join(out, 'firmware-profiles'), { recursive: true });

const nm = join(root, 'node_modules');
const ortNode = join(out, 'node_modules', 'onnxruntime-node');
cpSync(join(nm, 'onnxruntime-node'), ortNode, {
  recursive: true,
  filter: (src) => {
    const rel = src.slice(join(nm, 'onnxruntime-node').length);
    const m = /[\\/]bin[\\/]napi-v\d+[\\/]([^\\/]+)(?:[\\/]([^\\/]+))?/.exec(rel);
    if (!m) return true;
    if (m[1] !== 'linux') return false;
    return m[2] === undefined || m[2] === 'arm64' || m[2] === 'x64';
  },
});
cpSync(join(nm, 'onnxruntime-common'), join(out, 'node_modules', 'onnxruntime-common'), { recursive: true });

function size(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((sum, f) => sum + size(join(p, f)), 0);
}
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const js = size(join(out, 'liquidkan-device.js'));
console.log(
  `dist/device: ${mb(size(out))} (bundle ${(js / 1024).toFixed(0)} KiB, onnxruntime-node ${mb(size(ortNode))})`,
);
if (!existsSync(join(ortNode, 'bin'))) console.warn('warning: onnxruntime-node has no bin/ folder');
