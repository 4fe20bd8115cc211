/**
 * `liquidkan keys generate` and `liquidkan release create`: a key pair with a private key only its
 * owner can read, and release files that verify with the public key and unpack to the exact bytes
 * of the source library.json or export bundle.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel, writeBundle } from '../../shared/export/export.js';
import { classicLibrary, libraryToJson, saveLibrary } from '../../shared/library/library.js';
import { loadProfile } from '../../shared/profiles.js';
import { unpackRelease } from '../../shared/release/container.js';
import { keyId, readPublicKey } from '../../shared/release/keys.js';
import { openRelease, readReleaseFile } from '../../shared/release/release-file.js';
import { tinyModel } from '../helpers/models.js';
import { buildCliOnce, runCli, tempDir } from './cli-harness.js';

let work: string;
let keyDir: string;

beforeAll(async () => {
  await buildCliOnce();
  work = tempDir('cli-release');
  keyDir = join(work, 'keys');
  const r = await runCli(['keys', 'generate', '--out', keyDir, '--json'], work);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function open(file: string) {
  return openRelease(readReleaseFile(file), [readPublicKey(join(keyDir, 'release.pub'))]);
}

describe.concurrent('liquidkan keys / release', () => {
  it('keys generate writes release.key (0600) and release.pub, and will not overwrite them', async () => {
    expect(statSync(join(keyDir, 'release.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(keyDir, 'release.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readdirSync(keyDir).sort()).toEqual(['release.key', 'release.pub']);
    const again = await runCli(['keys', 'generate', '--out', keyDir], work);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/refusing to overwrite a key/);
  });

  it('release create --library classic round-trips to the library.json bytes', async () => {
    const out = join(work, 'classic.lkr');
    const r = await runCli(
      [
        'release',
        'create',
        '--library',
        'classic',
        '--key',
        join(keyDir, 'release.key'),
        '--out',
        out,
        '--json',
      ],
      work,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    const { manifest, payload } = open(out);
    expect(printed).toEqual(manifest);
    expect(manifest).toMatchObject({ kind: 'library', version: '1', chunkBytes: 65536 });
    expect(manifest.keyId).toBe(keyId(readFileSync(join(keyDir, 'release.pub'), 'utf8')));
    expect(manifest.profiles).toContain('pi4');
    const files = unpackRelease(payload);
    expect(Object.keys(files)).toEqual(['library.json']);
    expect(Buffer.from(files['library.json']!).toString()).toBe(libraryToJson(classicLibrary()));
  });

  it('release create --library DIR carries the file bytes unchanged', async () => {
    const dir = join(work, 'lib');
    const file = saveLibrary(dir, classicLibrary());
    const out = join(work, 'lib.lkr');
    const key = join(keyDir, 'release.key');
    const r = await runCli(
      [
        'release',
        'create',
        '--library',
        dir,
        '--key',
        key,
        '--out',
        out,
        '--chunk-bytes',
        '1024',
        '--version',
        'lib-7',
      ],
      work,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/library release lib-7, \d+ bytes in \d+ chunks/);
    const { manifest, payload } = open(out);
    expect(manifest.chunks.length).toBeGreaterThan(1);
    expect(Buffer.from(unpackRelease(payload)['library.json']!).equals(readFileSync(file))).toBe(true);
  });

  it('release create --model DIR packs the export bundle for its profile', async () => {
    const bundle = join(work, 'bundle');
    writeBundle(
      bundle,
      exportModel(tinyModel({ activation: 'tanh' }), { profile: loadProfile('pi4'), quant: 'fp32' }),
    );
    const out = join(work, 'model.lkr');
    const r = await runCli(
      ['release', 'create', '--model', bundle, '--key', join(keyDir, 'release.key'), '--out', out, '--json'],
      work,
    );
    expect(r.code).toBe(0);
    const { manifest, payload } = open(out);
    expect(manifest).toMatchObject({
      kind: 'model',
      profiles: ['pi4'],
      version: manifest.sha256.slice(0, 12),
    });
    const files = unpackRelease(payload);
    expect(Object.keys(files).sort()).toEqual(readdirSync(bundle).sort());
    for (const name of Object.keys(files)) {
      expect(Buffer.from(files[name]!).equals(readFileSync(join(bundle, name))), name).toBe(true);
    }
  });

  it('refuses bad invocations with exit code 2 and a reason', async () => {
    const key = join(keyDir, 'release.key');
    const pub = join(keyDir, 'release.pub');
    const notBundle = join(work, 'empty');
    writeFileSync(join(work, 'not-a-key.pem'), 'hello');
    const cases: [string[], RegExp][] = [
      [['--library', 'classic', '--model', work, '--key', key], /exactly one of --library/],
      [['--key', key], /exactly one of --library/],
      [['--library', 'classic', '--key', pub], /not a PEM private key/],
      [
        ['--library', 'classic', '--key', join(work, 'not-a-key.pem')],
        /not-a-key.pem: not a PEM private key/,
      ],
      [
        ['--library', 'classic', '--key', key, '--chunk-bytes', '10'],
        /chunkBytes 10 must be an integer from 256 to 8388608/,
      ],
      [['--model', notBundle, '--key', key], /cannot list the bundle directory/],
      [['--model', keyDir, '--key', key], /not an exported bundle/],
    ];
    const results = await Promise.all(
      cases.map(([args], i) =>
        runCli(['release', 'create', ...args, '--out', join(work, `x${i}.lkr`)], work),
      ),
    );
    cases.forEach(([args, why], i) => {
      expect(results[i]!.code, args.join(' ')).toBe(2);
      expect(results[i]!.stderr, args.join(' ')).toMatch(why);
    });
  });
});
