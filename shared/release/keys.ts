/**
 * Ed25519 release keys (DESIGN "Releases and sync (MQTT)": "signed with Ed25519 (node:crypto);
 * devices hold the public key and refuse anything else"). Keys are PEM: PKCS#8 for the private
 * key, SPKI for the public one. A key id is the first 16 hex digits of sha256 over the SPKI DER.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError, SignatureError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic.js';

export const PRIVATE_KEY_FILE = 'release.key';
export const PUBLIC_KEY_FILE = 'release.pub';

export interface KeyPair {
  /** PKCS#8 PEM. Keep secret. */
  readonly privateKey: string;
  /** SPKI PEM. Goes onto devices. */
  readonly publicKey: string;
}

export type KeyInput = string | KeyObject;

export function generateKeys(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function asPublicKey(key: KeyInput): KeyObject {
  try {
    const k =
      typeof key === 'string' ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
    if (k.asymmetricKeyType !== 'ed25519') {
      throw new SignatureError(`release keys are Ed25519; got a ${k.asymmetricKeyType} key`);
    }
    return k;
  } catch (err) {
    if (err instanceof SignatureError) throw err;
    throw new SignatureError(`not a PEM public key (${(err as Error).message})`, { cause: err });
  }
}

export function asPrivateKey(key: KeyInput): KeyObject {
  try {
    const k = typeof key === 'string' ? createPrivateKey(key) : key;
    if (k.type !== 'private' || k.asymmetricKeyType !== 'ed25519') {
      throw new SignatureError(
        `a release is signed with an Ed25519 private key; got a ${k.type} ${k.asymmetricKeyType} key`,
      );
    }
    return k;
  } catch (err) {
    if (err instanceof SignatureError) throw err;
    throw new SignatureError(`not a PEM private key (${(err as Error).message})`, { cause: err });
  }
}

/** The public key (KeyObject) of a public or private key. */
export function publicKeyOf(key: KeyInput): KeyObject {
  return asPublicKey(key);
}

/** First 16 hex digits of sha256 over the SPKI DER bytes of the (public half of the) key. */
export function keyId(key: KeyInput): string {
  const der = asPublicKey(key).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Write a file readable by its owner only (0600) without it ever existing with wider modes. */
function writeSecretFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      const bytes = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write DIR/release.key (0600) and DIR/release.pub; refuses to overwrite a key unless `force`. */
export function writeKeyPair(
  dir: string,
  keys: KeyPair,
  force = false,
): { privateFile: string; publicFile: string } {
  const privateFile = join(dir, PRIVATE_KEY_FILE);
  const publicFile = join(dir, PUBLIC_KEY_FILE);
  if (!force && (existsSync(privateFile) || existsSync(publicFile))) {
    throw new InputError(
      `${dir}: already holds ${PRIVATE_KEY_FILE} or ${PUBLIC_KEY_FILE}; refusing to overwrite a key`,
    );
  }
  writeSecretFile(privateFile, keys.privateKey);
  writeFileAtomic(publicFile, keys.publicKey);
  return { privateFile, publicFile };
}

function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read the ${what} (${(err as Error).message})`, { cause: err });
  }
}

export function readPrivateKey(file: string): KeyObject {
  const pem = readKeyFile(file, 'private key');
  try {
    return asPrivateKey(pem);
  } catch (err) {
    throw new SignatureError(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function readPublicKey(file: string): KeyObject {
  const pem = readKeyFile(file, 'public key');
  try {
    return asPublicKey(pem);
  } catch (err) {
    throw new SignatureError(`${file}: ${(err as Error).message}`, { cause: err });
  }
}
