import { closeSync, fsyncSync, linkSync, openSync, statSync, unlinkSync, writeSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TmonError } from '../errors.js';
import { KEY_BYTES, SecretBox } from './box.js';

/** The environment variable that gives the key instead of the home's `secret.key`. */
export const KEY_ENV = 'TMON_SECRET_KEY';

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}=?$/;

/** A key written as text: 64 hex digits, or 32 bytes in base64 (standard or URL-safe, padded or not). */
export function parseKeyText(text: string, what = KEY_ENV): Buffer {
  const t = text.trim();
  if (HEX.test(t)) return Buffer.from(t, 'hex');
  if (BASE64.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new TmonError('SECRET_KEY_BAD', `${what} is not a secret key: give ${KEY_BYTES} bytes as base64 (44 characters) or hex (64 characters); it has ${t.length} characters`);
}

/** The key file's 32 bytes, once its type, permissions and size are what a key's must be. */
export function readKeyFile(file: string): Buffer {
  const st = statSync(file);
  if (!st.isFile()) throw new TmonError('SECRET_KEY_BAD', `${file} is not a regular file; the secret key must be one (32 bytes, mode 0600)`);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new TmonError(
      'SECRET_KEY_MODE',
      `${file} has mode 0${mode.toString(8)}: others than its owner may read or change the secret key. Run chmod 600 ${file} and start again (and, if anyone else did read it, consider the passwords it seals exposed)`,
    );
  }
  if (st.size !== KEY_BYTES) {
    throw new TmonError('SECRET_KEY_BAD', `${file} holds ${st.size} bytes; a secret key is ${KEY_BYTES}: it is damaged or not a tmon key. Restore it from the backup taken with the store`);
  }
  const key = readFileSync(file);
  if (key.length !== KEY_BYTES) throw new TmonError('SECRET_KEY_BAD', `${file} changed while it was read; start again`);
  return key;
}

/**
 * Writes a new random key to `file`, mode 0600, whole or not at all: it is written and flushed
 * under another name, linked into place (which fails if the name exists) and the folder flushed,
 * so that a power cut never leaves a store sealed with a key that did not reach the disk.
 */
export function createKeyFile(file: string): Buffer {
  const key = SecretBox.newKey();
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return key;
}

export interface LoadedKey {
  box: SecretBox;
  /** A new key file was written (the first start of a home). */
  created: boolean;
}

export interface KeyOptions {
  /** The home's key file. */
  file: string;
  /** TMON_SECRET_KEY's value, if set: it takes precedence over the file. */
  env?: string | undefined;
  /**
   * Asked only when there is no key at all: may a new one be made? No when the store holds
   * values sealed with a key (a new key could not open them); `store` names it in the error.
   */
  mayCreate: () => boolean;
  store: string;
}

/**
 * The daemon's key: TMON_SECRET_KEY if set, else the home's `secret.key`, else (the store holding
 * nothing sealed) a new `secret.key`. Never falls back to keeping passwords in plain text: a key
 * that is malformed, too widely readable or missing where one is needed is an error saying what
 * to do.
 */
export function loadSecretKey(options: KeyOptions): LoadedKey {
  if (options.env !== undefined && options.env !== '') return { box: new SecretBox(parseKeyText(options.env), { source: KEY_ENV }), created: false };
  let exists = true;
  try {
    statSync(options.file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    exists = false;
  }
  if (exists) return { box: new SecretBox(readKeyFile(options.file), { source: options.file }), created: false };
  if (!options.mayCreate()) {
    throw new TmonError(
      'SECRET_KEY_MISSING',
      `the store ${options.store} holds passwords sealed with a secret key, but there is no key: neither ${KEY_ENV} nor ${options.file}. Restore secret.key from the backup taken with the store (mode 0600), or set ${KEY_ENV} to it; a new key would not open them (docs/operations.md, "The secret key")`,
    );
  }
  return { box: new SecretBox(createKeyFile(options.file), { source: options.file }), created: true };
}
