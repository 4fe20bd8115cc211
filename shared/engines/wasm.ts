/**
 * The 'wasm' engine: onnxruntime-web's WebAssembly build running inside Node, the fallback where
 * onnxruntime-node has no addon (e.g. a Pi Zero 2 W on a 32-bit OS), and the same build the
 * dashboard's preview runs in the browser.
 *
 * Node specifics: the package's "node" export (dist/ort.node.min.mjs) finds its .wasm next to
 * itself through import.meta.url, so no wasmPaths is needed while it stays unbundled in
 * node_modules. It runs single-threaded (numThreads = 1: the threaded build would need worker
 * threads and SharedArrayBuffer) and without the proxy worker, which is browser-only. env.wasm is
 * read once, when the first session is created, so it is set before anything else runs.
 *
 * A device bundle (scripts/build-device.mjs) ships the .wasm brotli-compressed, 2.4 MB instead
 * of 14 MB: where only that form sits beside the Node build, it is decompressed in memory and
 * handed over as env.wasm.wasmBinary, so nothing is written on the board.
 */

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import type { Engine, EngineLoadOptions } from './engine.js';
import { checkLoadOptions, type OrtModuleLike, ortEngine, smokeTest } from './ort-session.js';

const LOG_ERRORS_ONLY = 3;
/** The build onnxruntime-web's Node export loads with numThreads = 1 (next to ort.node.min.mjs). */
const WASM_FILE = 'ort-wasm-simd-threaded.wasm';

/** The wasm bytes from the compressed form when only that is shipped; null to let ort find the file. */
function compressedWasmBinary(): Uint8Array | null {
  const entry = import.meta.resolve('onnxruntime-web');
  const plain = new URL(WASM_FILE, entry);
  const compressed = new URL(`${WASM_FILE}.br`, entry);
  if (existsSync(fileURLToPath(plain)) || !existsSync(fileURLToPath(compressed))) return null;
  return brotliDecompressSync(readFileSync(fileURLToPath(compressed)));
}

async function loadOrt(): Promise<OrtModuleLike> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const binary = compressedWasmBinary();
  if (binary) ort.env.wasm.wasmBinary = binary;
  const mod = ort as unknown as OrtModuleLike;
  await smokeTest('wasm', mod, sessionOptions({ optimization: 'basic' }));
  return mod;
}

/** `threads` is accepted for symmetry with 'native' and ignored: the wasm build is single-threaded. */
function sessionOptions(options: EngineLoadOptions): object {
  const { optimization } = checkLoadOptions(options);
  return {
    executionProviders: ['wasm'],
    graphOptimizationLevel: optimization,
    logSeverityLevel: LOG_ERRORS_ONLY,
  };
}

export const wasmEngine: Engine = ortEngine(
  'wasm',
  loadOrt,
  sessionOptions,
  'onnxruntime-web could not start',
);
