/*
 * Passwords at rest (issue 15). Every `newpw` value tmon stores is sealed with the daemon's
 * secret key before it is written, opened only when an action is handed to its plugin and its
 * connector, and emptied once the action is final. The crypto is here and only here; the store
 * (src/store/sqlite/sealing.ts) applies it where it writes and reads documents.
 */
export { isKeyedDigest, isSealed, KEY_BYTES, KEYED_DIGEST_PREFIX, SEALED_PREFIX, SecretBox, SecretError } from './box.js';
export { holdsPasswords, mapPasswords, mayHoldPasswords, PASSWORD_KEY, wipePasswords } from './documents.js';
export { createKeyFile, KEY_ENV, loadSecretKey, parseKeyText, readKeyFile, type KeyOptions, type LoadedKey } from './key.js';
