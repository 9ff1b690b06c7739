import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { TmonError } from '../errors.js';

/** A key is 32 random bytes (AES-256). */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What every sealed value starts with: the format and its version. */
export const SEALED_PREFIX = 'tmon:v1:';
/** What a digest keyed with the secret key starts with (see `SecretBox.digest`). */
export const KEYED_DIGEST_PREFIX = 'hmac-sha256:';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A sealed value that cannot be opened: not in the sealed format, damaged, or sealed with another key. */
export class SecretError extends TmonError {}

/** The value is in the sealed format (it may still fail to open). */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** A digest made by `SecretBox.digest`: only a holder of the key can compare with it. */
export function isKeyedDigest(digest: string): boolean {
  return digest.startsWith(KEYED_DIGEST_PREFIX);
}

/**
 * Seals and opens secrets with one key: AES-256-GCM, a random 12-byte IV per value, the 16-byte
 * authentication tag kept, so a changed byte or another key is detected, never decrypted into
 * garbage. A sealed value is `tmon:v1:` + base64(IV ‖ ciphertext ‖ tag): plain ASCII that
 * needs no escaping in JSON or KVGroup text. The key given is not used as such: HKDF-SHA256
 * derives one subkey for sealing and another for keyed digests, so neither use weakens the other.
 *
 * The key lives in private fields: a SecretBox logged, inspected or turned into JSON shows
 * nothing of it.
 */
export class SecretBox {
  readonly #sealKey: Buffer;
  readonly #macKey: Buffer;
  /** Where the key came from (a file path or `TMON_SECRET_KEY`), for messages. */
  readonly source: string;

  constructor(key: Uint8Array, options: { source?: string } = {}) {
    if (key.length !== KEY_BYTES) throw new TmonError('SECRET_KEY_BAD', `a secret key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.#sealKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'tmon seal v1', KEY_BYTES));
    this.#macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'tmon digest v1', KEY_BYTES));
    this.source = options.source ?? 'the key given';
  }

  /** A new key: 32 bytes from the system's secure random source. */
  static newKey(): Buffer {
    return randomBytes(KEY_BYTES);
  }

  /** `value` sealed. Sealing the same value twice gives two different strings (a fresh IV each time). */
  seal(value: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#sealKey, iv, { authTagLength: TAG_BYTES });
    const body = Buffer.concat([iv, cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return SEALED_PREFIX + body.toString('base64');
  }

  /** The value `seal` was given. Throws `SecretError` (code SECRET_OPEN) for anything else. */
  open(sealed: string): string {
    if (!isSealed(sealed)) throw new SecretError('SECRET_OPEN', 'not a sealed value');
    const text = sealed.slice(SEALED_PREFIX.length);
    const body = BASE64.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
    if (body.length < IV_BYTES + TAG_BYTES) throw new SecretError('SECRET_OPEN', 'a sealed value is cut short or damaged');
    const decipher = createDecipheriv('aes-256-gcm', this.#sealKey, body.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError('SECRET_OPEN', 'a sealed value does not open with this key: it was sealed with another key, or changed since');
    }
  }

  /**
   * A digest of `text` keyed with the secret key (HMAC-SHA256): equal texts give equal digests,
   * but without the key nothing can be learnt from it, not even by trying guesses.
   */
  digest(text: string): string {
    return KEYED_DIGEST_PREFIX + createHmac('sha256', this.#macKey).update(text, 'utf8').digest('hex');
  }

  toJSON(): string {
    return `[SecretBox ${this.source}]`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
