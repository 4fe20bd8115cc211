/**
 * `liquidkan keys generate --out DIR`: an Ed25519 release key pair (DESIGN "Releases and sync
 * (MQTT)": "signed with Ed25519; devices hold the public key"). DIR/release.key is written
 * with mode 0600; DIR/release.pub goes onto the devices.
 */
import { generateKeys, keyId, writeKeyPair } from '../../shared/release/keys.js';
import { type Command, JSON_FLAG, stringFlag } from '../command.js';
import { COMMAND_SUMMARIES } from './summaries.js';

export const keysGenerateCommand: Command = {
  name: 'generate',
  summary: 'generate an Ed25519 release signing key pair',
  usage: 'keys generate --out DIR [--force]',
  flags: {
    out: {
      type: 'string',
      value: 'DIR',
      description: 'directory for release.key and release.pub',
      required: true,
    },
    force: { type: 'boolean', description: 'replace an existing key pair in DIR' },
    json: JSON_FLAG,
  },
  run(ctx) {
    const out = stringFlag(ctx.flags, 'out');
    const keys = generateKeys();
    const { privateFile, publicFile } = writeKeyPair(out, keys, ctx.flags['force'] === true);
    const id = keyId(keys.publicKey);
    if (ctx.json) {
      ctx.stdout(JSON.stringify({ keyId: id, privateKey: privateFile, publicKey: publicFile }));
      return;
    }
    ctx.info(`wrote ${privateFile} (secret, mode 0600) and ${publicFile}`);
    ctx.info(`  key id ${id}; copy ${publicFile} to the devices that should trust it`);
  },
};

export const keysCommand: Command = {
  name: 'keys',
  summary: COMMAND_SUMMARIES.keys,
  usage: 'keys generate --out DIR',
  flags: {},
  subcommands: [keysGenerateCommand],
};
