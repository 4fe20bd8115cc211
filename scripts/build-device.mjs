// The device runtime as one deployable folder that runs when copied to an empty directory on a
// board with Node 20 and nothing from npm:
//
//   node scripts/build-device.mjs [--arch arm64|x64] [--lite] [--out DIR]
//
// The CLI is bundled by esbuild with code splitting, so what a run does not use (the MQTT client
// and sync agent, the selection, onnxruntime) is a separate chunk loaded on first use. Beside it:
// the launcher (which refuses a bundle built for another architecture before loading anything),
// build.json (what was built), the firmware profiles and, unless --lite:
//   onnxruntime-node with the linux binaries of --arch only (default: this machine's),
//   onnxruntime-web with only the files its Node build loads (ort.node.min.mjs and the plain SIMD
//   wasm build), the 14 MB .wasm shipped brotli-compressed (2.4 MB; the wasm engine decompresses it
//   in memory at load, shared/engines/wasm.ts, so nothing is written on the board), and
//   onnxruntime-common.
// A --lite bundle ships only the compiled engine: no onnxruntime at all, and no architecture.

import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants } from 'node:zlib';
import { build } from 'esbuild';

/**
 * Brotli quality for the wasm file: 10 gives 14.2 MB → 2.39 MB in 25 s here, 11 (the highest)
 * 2.30 MB in about 55 s; 90 KB is not worth doubling every cold build.
 */
const WASM_BROTLI_QUALITY = 10;

const ARCHES = ['arm64', 'x64'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({
  options: {
    arch: { type: 'string' },
    lite: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const lite = flags.lite;
const arch = flags.arch ?? (ARCHES.includes(process.arch) ? process.arch : 'arm64');
if (!ARCHES.includes(arch)) {
  console.error(`build-device: --arch must be one of ${ARCHES.join(', ')}, got '${arch}'`);
  process.exit(2);
}
const out = resolve(flags.out ?? join(root, 'dist', 'device'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { 'liquidkan-device': join(root, 'cli', 'device-main.ts') },
  outdir: out,
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  external: ['onnxruntime-node', 'onnxruntime-web'],
  // bundled CommonJS (protobufjs, mqtt's dependencies) calls require(); give each chunk one
  banner: {
    js: "import { createRequire as __lkRequire } from 'node:module'; const require = __lkRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// Node's flags for a small, steady process, on the command line that starts the device: the
// launcher's #! line and deploy/liquidkan-device.service's ExecStart (a bundle test keeps them the
// same), and build.json, from which the footprint bench starts the device the same way. Measured
// side by side (npm run bench -- --only footprint), step p50 no worse:
// - one V8 platform thread and no background tasks (concurrent compilation, marking, sweeping):
//   each thread costs a stack and a malloc arena, about 2 MiB of resident memory in all, and a
//   device is one event loop;
// - an explicit old-space limit, the unit's MemoryMax: about 1 MiB less than V8's default sizing
//   for a machine's physical memory, and a heap that collects harder near the cgroup's ceiling
//   instead of being killed at it (the runtime's heap is about 10 MiB).
const nodeFlags = ['--v8-pool-size=1', '--single-threaded', '--max-old-space-size=256'];
const built = { lite, arch: lite ? null : arch, platform: 'linux', nodeFlags };
writeFileSync(join(out, 'build.json'), `${JSON.stringify(built, null, 2)}\n`);
// The launcher checks the architecture before the bundle (and any addon) is loaded.
writeFileSync(
  join(out, 'liquidkan-device.mjs'),
  `#!/usr/bin/env -S node ${nodeFlags.join(' ')}
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
// A small young generation: a step allocates little, and 1 MiB semi-spaces keep a board's
// resident memory about 6 MiB lower than V8's default of up to 16 MiB each.
setFlagsFromString('--max-semi-space-size=1');
setFlagsFromString('--semi-space-growth-factor=1');
const built = JSON.parse(readFileSync(new URL('./build.json', import.meta.url), 'utf8'));
if (built.arch && built.arch !== process.arch) {
  process.stderr.write(
    \`liquidkan-device: this bundle was built for linux-\${built.arch} (npm run build:device -- --arch \${built.arch}) and this machine is linux-\${process.arch}; build one with --arch \${process.arch === 'arm64' || process.arch === 'x64' ? process.arch : 'arm64'}, or a --lite bundle, which runs anywhere\\n\`,
  );
  process.exit(2);
}
const { main } = await import('./liquidkan-device.js');
process.exitCode = await main(process.argv.slice(2));
`,
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
const modules = join(out, 'node_modules');
if (!lite) {
  // onnxruntime-node: its JS, and the binaries of one architecture (no install scripts)
  const ortNode = join(nm, 'onnxruntime-node');
  cpSync(ortNode, join(modules, 'onnxruntime-node'), {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(ortNode.length).replaceAll('\\', '/');
      if (rel.startsWith('/script')) return false;
      const m = /^\/bin\/napi-v\d+(?:\/([^/]+))?(?:\/([^/]+))?/.exec(rel);
      if (!m) return true;
      if (m[1] === undefined) return true;
      if (m[1] !== 'linux') return false;
      return m[2] === undefined || m[2] === arch;
    },
  });
  // onnxruntime-web: what `import 'onnxruntime-web'` loads in Node, nothing else
  const web = join(nm, 'onnxruntime-web');
  const webOut = join(modules, 'onnxruntime-web');
  mkdirSync(join(webOut, 'dist'), { recursive: true });
  cpSync(join(web, 'package.json'), join(webOut, 'package.json'));
  for (const f of ['ort.node.min.mjs', 'ort-wasm-simd-threaded.mjs'])
    cpSync(join(web, 'dist', f), join(webOut, 'dist', f));
  writeFileSync(
    join(webOut, 'dist', 'ort-wasm-simd-threaded.wasm.br'),
    compressedWasm(join(web, 'dist', 'ort-wasm-simd-threaded.wasm')),
  );
  // onnxruntime-common: the CommonJS and ESM builds, without source maps or typings
  const common = join(nm, 'onnxruntime-common');
  cpSync(common, join(modules, 'onnxruntime-common'), {
    recursive: true,
    filter: (src) => !/\.(map|d\.ts)$/.test(src) && !src.slice(common.length).startsWith('/lib'),
  });
}

/**
 * The wasm file brotli-compressed (WASM_BROTLI_QUALITY, the largest window). That takes half a
 * minute, so the result is cached under node_modules/.cache by the wasm's hash and the quality:
 * one compression per installed onnxruntime-web.
 */
function compressedWasm(file) {
  const bytes = readFileSync(file);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const cacheDir = join(nm, '.cache', 'liquidkan-device');
  const cached = join(cacheDir, `${hash}-q${WASM_BROTLI_QUALITY}.wasm.br`);
  if (existsSync(cached)) return readFileSync(cached);
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: WASM_BROTLI_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  mkdirSync(cacheDir, { recursive: true });
  // written under a temporary name first: builds running side by side never read half a file
  const partial = `${cached}.${process.pid}`;
  writeFileSync(partial, br);
  renameSync(partial, cached);
  return br;
}

function size(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((sum, f) => sum + size(join(p, f)), 0);
}
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const js = size(join(out, 'liquidkan-device.js')) + size(join(out, 'chunks'));
const parts = lite ? 'compiled engine only' : `onnxruntime ${mb(existsSync(modules) ? size(modules) : 0)}`;
console.log(
  `${out}: ${mb(size(out))} (${lite ? 'lite' : `linux-${arch}`}; JavaScript ${(js / 1024).toFixed(0)} KiB, ${parts})`,
);
