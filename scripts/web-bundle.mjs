// The browser bundle of the shared audio features (shared/audio/clip.ts), so the dashboard's
// preview computes a voice model's clip features with the very code training and the device
// use. One place for its entry and output, used by scripts/build.mjs and by the tests that
// run the dashboard from sources.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where the bundle is written; cloud/dashboard/assets.ts serves it from here. */
export const WEB_AUDIO_BUNDLE = join(root, 'dist', 'web', 'audio-clip.js');

export async function buildWebAudio(outfile = WEB_AUDIO_BUNDLE) {
  await build({
    entryPoints: [join(root, 'shared', 'audio', 'clip.ts')],
    outfile,
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    sourcemap: false,
    logLevel: 'warning',
  });
  return outfile;
}
