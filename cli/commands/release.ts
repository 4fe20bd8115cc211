/**
 * `liquidkan release create`: sign a library or an exported model bundle into one release file
 * (DESIGN "Releases and sync (MQTT)": "a release is a manifest … signed with Ed25519"). The
 * file is 'LKR1' | envelope length u32 LE | envelope JSON | payload (shared/release/release-file.ts).
 */
import { InputError } from '../../shared/errors.js';
import { createRelease } from '../../shared/release/create.js';
import { readPrivateKey } from '../../shared/release/keys.js';
import { writeReleaseFile } from '../../shared/release/release-file.js';
import { type Command, intFlag, JSON_FLAG, optionalString, stringFlag } from '../command.js';

export const releaseCreateCommand: Command = {
  name: 'create',
  summary: 'sign a library or an exported model into a release file',
  usage: 'release create (--library classic|DIR | --model DIR) --key FILE --out FILE',
  flags: {
    library: {
      type: 'string',
      value: 'classic|DIR',
      description: "'classic' or a directory with library.json",
    },
    model: { type: 'string', value: 'DIR', description: "an exported bundle directory ('liquidkan export')" },
    key: { type: 'string', value: 'FILE', description: 'Ed25519 private key (release.key)', required: true },
    out: { type: 'string', value: 'FILE', description: 'release file to write', required: true },
    'chunk-bytes': { type: 'string', value: 'N', description: 'bytes per MQTT chunk', default: '65536' },
    version: {
      type: 'string',
      value: 'V',
      description: 'release version (default: library version or hash)',
    },
    profile: {
      type: 'string',
      value: 'NAME',
      multiple: true,
      description: 'firmware profile allowed to install it (repeatable; default: all / the bundle profile)',
    },
    json: JSON_FLAG,
  },
  run(ctx) {
    const library = optionalString(ctx.flags, 'library');
    const model = optionalString(ctx.flags, 'model');
    if ((library === undefined) === (model === undefined)) {
      throw new InputError('give exactly one of --library classic|DIR or --model DIR');
    }
    const profiles = ctx.flags['profile'] as string[] | undefined;
    const version = optionalString(ctx.flags, 'version');
    const release = createRelease({
      kind: library !== undefined ? 'library' : 'model',
      dir: (library ?? model)!,
      key: readPrivateKey(stringFlag(ctx.flags, 'key')),
      chunkBytes: intFlag(ctx.flags, 'chunk-bytes', 1),
      ...(version !== undefined ? { version } : {}),
      ...(profiles?.length ? { profiles } : {}),
    });
    const out = stringFlag(ctx.flags, 'out');
    writeReleaseFile(out, release);
    const m = release.envelope.manifest;
    if (ctx.json) {
      ctx.stdout(JSON.stringify(m));
      return;
    }
    ctx.info(`wrote ${out}: ${m.kind} release ${m.version}, ${m.size} bytes in ${m.chunks.length} chunks`);
    ctx.info(`  sha256 ${m.sha256}, signed by key ${m.keyId}, profiles ${m.profiles.join(', ')}`);
  },
};

export const releaseCommand: Command = {
  name: 'release',
  summary: 'build signed releases for the fleet',
  usage: 'release create ...',
  flags: {},
  subcommands: [releaseCreateCommand],
};
