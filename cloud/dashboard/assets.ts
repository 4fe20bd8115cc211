/**
 * The dashboard's static files: its own browser modules and stylesheet (web/), uPlot's
 * minified build and stylesheet, and onnxruntime-web's wasm build (the loader module, its
 * Emscripten glue and the .wasm the glue fetches). Every servable file is listed once at start
 * from fixed directories into a map keyed by its URL path, and a request is answered only by an
 * exact key match: a path that is not in the map (dot segments, encoded slashes, other files of
 * node_modules) is never joined onto a directory, so it cannot reach outside these files.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { packageRoot } from '../../shared/io/package-root.js';
import { CONTENT_TYPES } from './http-util.js';

/** URL prefixes of the three groups. */
export const ASSET_PREFIX = Object.freeze({
  app: '/assets/app/',
  vendor: '/assets/vendor/',
  ort: '/assets/ort/',
  audio: '/assets/audio/',
});

/**
 * The shared clip features (shared/audio/clip.ts) bundled for the browser by `npm run build`
 * (scripts/web-bundle.mjs): the preview computes a voice model's features with the same code
 * as training and the device. Absent before a build; the preview then says so.
 */
export const AUDIO_BUNDLE = 'audio-clip.js';

/** onnxruntime-web files the browser loads: the ESM wasm build without WebGPU/WebGL. */
export const ORT_FILES = Object.freeze([
  'ort.wasm.min.mjs',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
]);
export const UPLOT_FILES = Object.freeze(['uPlot.iife.min.js', 'uPlot.min.css']);

interface Asset {
  readonly file: string;
  readonly type: string;
  /** Vendor files change only with a dependency upgrade; app files with every edit. */
  readonly cache: string;
}

/** Where the dashboard's browser modules live (sources are served as they are: plain ES modules). */
export function webDir(): string {
  return join(packageRoot(), 'cloud', 'dashboard', 'web');
}

function packageDir(require: NodeJS.Require, exported: string): string {
  return dirname(require.resolve(exported));
}

/** Builds the URL path → file map. Missing vendor files are left out (their URLs answer 404). */
export function listAssets(): ReadonlyMap<string, Asset> {
  const map = new Map<string, Asset>();
  const add = (url: string, file: string, cache: string) => {
    const type = CONTENT_TYPES[extname(file)];
    if (type && existsSync(file) && statSync(file).isFile()) map.set(url, { file, type, cache });
  };
  const web = webDir();
  for (const name of existsSync(web) ? readdirSync(web) : []) {
    if (/^[a-z0-9-]+\.(js|css)$/.test(name)) add(ASSET_PREFIX.app + name, join(web, name), 'no-cache');
  }
  add(ASSET_PREFIX.audio + AUDIO_BUNDLE, join(packageRoot(), 'dist', 'web', AUDIO_BUNDLE), 'no-cache');
  const require = createRequire(join(packageRoot(), 'package.json'));
  const vendorCache = 'public, max-age=86400';
  try {
    const uplot = join(packageDir(require, 'uplot/package.json'), 'dist');
    for (const name of UPLOT_FILES) add(ASSET_PREFIX.vendor + name, join(uplot, name), vendorCache);
  } catch {
    // uplot not installed: the page shows tables without charts
  }
  try {
    const ort = packageDir(require, 'onnxruntime-web/ort-wasm-simd-threaded.wasm');
    for (const name of ORT_FILES) add(ASSET_PREFIX.ort + name, join(ort, name), vendorCache);
  } catch {
    // onnxruntime-web not installed: the preview reports it cannot run
  }
  return map;
}

/** Answers GET/HEAD for a listed asset; false for any other path (the next route decides). */
export function serveAsset(
  assets: ReadonlyMap<string, Asset>,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): boolean {
  const asset = assets.get(pathname);
  if (!asset) return false;
  let size: number;
  try {
    size = statSync(asset.file).size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': size,
    'cache-control': asset.cache,
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  const stream = createReadStream(asset.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
  return true;
}
