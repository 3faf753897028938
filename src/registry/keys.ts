import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NephoError, messageOf } from '../errors.js';
import { writeFileAtomicSync } from '../fs.js';
import { makeDirs } from '../home.js';

/**
 * Registry signing keys: Ed25519 from Node's own crypto. A public key is one
 * line of text, `ed25519:<base64 of its 32 bytes>`, short enough to paste into
 * `registry:add --key` or a README; a private key is a PKCS#8 PEM file, mode
 * 0600. A signature is the base64 of its 64 bytes, one line.
 */
export const KEY_PREFIX = 'ed25519:';

/** The DER header of an Ed25519 SubjectPublicKeyInfo: the raw 32 bytes follow it. */
const SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');

/** File names `registry:keygen` writes. */
export const PRIVATE_KEY_FILE = 'registry.key';
export const PUBLIC_KEY_FILE = 'registry.pub';

/** What a signature over a next key is made on: never the bytes of an index, so neither can stand for the other. */
const NEXT_KEY_CONTEXT = 'nepho registry next key\n';

/** A next key as an index carries it: the key, signed by the key that signs the index now. */
export interface NextKey {
  key: string;
  signature: string;
}

const badKey = (what: string, why: string, hint?: string) => new NephoError('REGISTRY_KEY_INVALID', `${what}: ${why}`, hint ? { hint } : {});

/** The text form of a public key. */
export function publicKeyText(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return KEY_PREFIX + der.subarray(SPKI_HEADER.length).toString('base64');
}

/** The key a text form names; throws REGISTRY_KEY_INVALID naming `what` when it names none. */
export function parsePublicKey(text: string, what: string): KeyObject {
  const trimmed = text.trim();
  const raw = trimmed.startsWith(KEY_PREFIX) ? Buffer.from(trimmed.slice(KEY_PREFIX.length), 'base64') : undefined;
  if (!raw || raw.length !== 32 || raw.toString('base64') !== trimmed.slice(KEY_PREFIX.length)) {
    throw badKey(what, `not an Ed25519 public key (expected ${KEY_PREFIX} and 44 base64 characters)`, 'use the registry.pub that nepho registry:keygen wrote');
  }
  return createPublicKey({ key: Buffer.concat([SPKI_HEADER, raw]), format: 'der', type: 'spki' });
}

/**
 * A `--key` argument as the key text it gives: the text itself, or the
 * contents of the file it names. A private key is refused by name: it must
 * never be copied to the machines that only verify.
 */
export function readKeyArgument(value: string): string {
  if (value.trim().startsWith(KEY_PREFIX)) return publicKeyText(parsePublicKey(value, `--key '${value.trim()}'`));
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (error) {
    throw badKey(
      `--key '${value}'`,
      `neither a public key (${KEY_PREFIX}...) nor a readable file (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
    );
  }
  if (text.includes('PRIVATE KEY')) {
    throw badKey(`--key ${value}`, 'is a private key', `give its public key (${PUBLIC_KEY_FILE}); the private key stays with whoever builds the registry`);
  }
  return publicKeyText(parsePublicKey(text, `--key ${value}`));
}

/** A private key file as `registry:keygen` writes it. */
export function readPrivateKey(file: string, what: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw badKey(`${what} ${file}`, `cannot be read (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch {
    throw badKey(`${what} ${file}`, 'is not a private key', `make one with nepho registry:keygen --out DIR (${PRIVATE_KEY_FILE})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw badKey(`${what} ${file}`, `is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return key;
}

/** The key files `registry:keygen` made. */
export interface KeyPairFiles {
  privateFile: string;
  publicFile: string;
  publicKey: string;
}

/**
 * Make a key pair in `dir`: the private key mode 0600, the public key beside
 * it. Never overwrites a key: a lost private key cannot be made again, and
 * every user who pinned the public key would have to pin a new one.
 */
export function generateKeyPair(dir: string): KeyPairFiles {
  const out = resolve(dir);
  const privateFile = join(out, PRIVATE_KEY_FILE);
  const publicFile = join(out, PUBLIC_KEY_FILE);
  for (const file of [privateFile, publicFile]) {
    if (existsSync(file))
      throw new NephoError('KEY_EXISTS', `${file} already exists; a key is never overwritten`, {
        hint: 'choose another --out directory, or move the old key away first',
      });
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const text = publicKeyText(publicKey);
  makeDirs(out, 0o700, 'OUT_UNWRITABLE');
  writeFileAtomicSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), 0o600);
  writeFileAtomicSync(publicFile, `${text}\n`);
  return { privateFile, publicFile, publicKey: text };
}

/** The public key text of a private key. */
export function publicKeyOf(privateKey: KeyObject): string {
  return publicKeyText(createPublicKey(privateKey));
}

/** The detached signature of `bytes`, as index.json.sig holds it (one line). */
export function signBytes(bytes: Uint8Array, privateKey: KeyObject): string {
  return `${sign(null, bytes, privateKey).toString('base64')}\n`;
}

/** Whether `signature` (base64) is `key`'s signature of `bytes`; false for anything malformed. */
export function verifyBytes(bytes: Uint8Array, signature: string, key: string): boolean {
  const raw = Buffer.from(signature.trim(), 'base64');
  if (raw.length !== 64) return false;
  try {
    return verify(null, bytes, parsePublicKey(key, 'key'), raw);
  } catch {
    return false;
  }
}

/** `next` (a public key text) signed by the key that signs the index now. */
export function signNextKey(next: string, privateKey: KeyObject): NextKey {
  return { key: next, signature: sign(null, Buffer.from(NEXT_KEY_CONTEXT + next), privateKey).toString('base64') };
}

/** Whether `next` was signed by `by`. */
export function nextKeySignedBy(next: NextKey, by: string): boolean {
  return verifyBytes(Buffer.from(NEXT_KEY_CONTEXT + next.key), next.signature, by);
}

/** A short form of a key for tables and messages: enough to tell keys apart. */
export function shortKey(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 12)}…`;
}
