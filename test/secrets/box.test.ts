import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  createKeyFile,
  holdsPasswords,
  isKeyedDigest,
  isSealed,
  loadSecretKey,
  mapPasswords,
  parseKeyText,
  readKeyFile,
  SEALED_PREFIX,
  SecretBox,
  wipePasswords,
} from '../../src/secrets/index.js';
import type { KvGroup } from '../../src/kvgroup/index.js';
import { tempDir } from '../helpers/home.js';

const KEY = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 8);

/** The sealed value with one byte of its decoded body changed at `at` (negative: from the end). */
function flip(sealed: string, at: number): string {
  const body = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  const i = at < 0 ? body.length + at : at;
  body[i] = body[i]! ^ 0x01;
  return SEALED_PREFIX + body.toString('base64');
}

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  test('a sealed value opens to what was sealed, whatever it holds', () => {
    for (const v of ['s3cret!', '', 'Quokka-"Pw-7731\\', 'пароль 密码 🔑', 'x'.repeat(100_000), 'tmon:v1:looks-sealed']) {
      const sealed = box.seal(v);
      expect(isSealed(sealed)).toBe(true);
      expect(sealed).toMatch(/^tmon:v1:[A-Za-z0-9+/]+={0,2}$/);
      expect(box.open(sealed)).toBe(v);
      // Another box with the same key opens it too (the key, not the instance, decides).
      expect(new SecretBox(Buffer.from(KEY)).open(sealed)).toBe(v);
    }
  });

  test('the same value sealed twice gives two different strings (a fresh IV each time), neither holding the value', () => {
    const a = box.seal('Hunter2-Pw');
    const b = box.seal('Hunter2-Pw');
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(SEALED_PREFIX.length), 'base64').subarray(0, 12)).not.toEqual(Buffer.from(b.slice(SEALED_PREFIX.length), 'base64').subarray(0, 12));
    for (const s of [a, b]) {
      expect(s).not.toContain('Hunter2');
      expect(Buffer.from(s.slice(SEALED_PREFIX.length), 'base64').toString('latin1')).not.toContain('Hunter2');
    }
    // IV (12) + ciphertext (as long as the value) + tag (16).
    expect(Buffer.from(a.slice(SEALED_PREFIX.length), 'base64').length).toBe(12 + 'Hunter2-Pw'.length + 16);
  });

  test('a changed byte anywhere (IV, ciphertext, tag) is detected, never decrypted into something else', () => {
    const sealed = box.seal('Hunter2-Pw');
    for (const at of [0, 11, 12, 15, 21, -16, -1]) expect(() => box.open(flip(sealed, at))).toThrow(expect.objectContaining({ code: 'SECRET_OPEN' }));
    // Cut short, padded, or not base64 at all.
    expect(() => box.open(sealed.slice(0, -4))).toThrow(expect.objectContaining({ code: 'SECRET_OPEN' }));
    expect(() => box.open(`${SEALED_PREFIX}AAAA`)).toThrow(/cut short/);
    expect(() => box.open(`${SEALED_PREFIX}!!not base64!!`)).toThrow(expect.objectContaining({ code: 'SECRET_OPEN' }));
    expect(() => box.open('Hunter2-Pw')).toThrow(/not a sealed value/);
    expect(() => box.open(`tmon:v2:${sealed.slice(SEALED_PREFIX.length)}`)).toThrow(/not a sealed value/);
  });

  test('another key cannot open it, and says so without showing anything of the value', () => {
    const sealed = box.seal('Hunter2-Pw');
    let error: Error | undefined;
    try {
      new SecretBox(OTHER).open(sealed);
    } catch (err) {
      error = err as Error;
    }
    expect(error).toMatchObject({ code: 'SECRET_OPEN', message: expect.stringMatching(/another key/) });
    expect(error!.message).not.toContain('Hunter2');
  });

  test('a key is 32 bytes', () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(expect.objectContaining({ code: 'SECRET_KEY_BAD' }));
    expect(SecretBox.newKey()).toHaveLength(32);
    expect(SecretBox.newKey()).not.toEqual(SecretBox.newKey());
  });

  test('keyed digests: equal for equal texts, different per key, and nothing of the key shows when the box is logged', () => {
    const d = box.digest('a text');
    expect(isKeyedDigest(d)).toBe(true);
    expect(d).toBe(new SecretBox(KEY).digest('a text'));
    expect(d).not.toBe(box.digest('a text!'));
    expect(d).not.toBe(new SecretBox(OTHER).digest('a text'));
    const shown = `${inspect(box)} ${JSON.stringify({ box })} ${String(Object.keys(box))}`;
    expect(shown).not.toContain(KEY.toString('hex'));
    expect(shown).not.toContain(KEY.toString('base64'));
    expect(shown).toContain('SecretBox');
  });
});

describe('passwords in documents', () => {
  const doc: KvGroup = {
    type: 'action',
    name: 'A',
    members: [
      { key: 'operation', value: 'ACHG' },
      { key: 'newpw', value: 'top-level' },
      { type: 'attributes', name: '', members: [{ key: 'newpw', value: 'nested' }, { key: 'mail', value: 'a@b' }] },
      { key: 'newpw', value: '' },
    ],
  };

  test('every non-empty newpw value, at any depth, is mapped; the rest is shared, the input untouched', () => {
    const before = JSON.stringify(doc);
    const mapped = mapPasswords(doc, (v) => `<${v}>`);
    expect(JSON.stringify(doc)).toBe(before);
    expect(JSON.stringify(mapped)).toBe(before.replace('"top-level"', '"<top-level>"').replace('"nested"', '"<nested>"'));
    expect(mapped.members[0]).toBe(doc.members[0]);
    const none: KvGroup = { type: 'action', name: 'B', members: [{ key: 'operation', value: 'NOOP' }] };
    expect(mapPasswords(none, () => 'x')).toBe(none);
    expect(holdsPasswords(doc)).toBe(true);
    expect(holdsPasswords({ ...doc, members: [{ key: 'newpw', value: '' }] })).toBe(false);
    const { group, wiped } = wipePasswords(doc);
    expect(wiped).toBe(true);
    expect(holdsPasswords(group)).toBe(false);
    expect(wipePasswords(group).wiped).toBe(false);
  });
});

describe('the key', () => {
  test('TMON_SECRET_KEY: hex or base64 (standard or URL-safe) of 32 bytes, anything else refused without echoing it', () => {
    const key = SecretBox.newKey();
    expect(parseKeyText(key.toString('hex'))).toEqual(key);
    expect(parseKeyText(` ${key.toString('base64')}\n`)).toEqual(key);
    expect(parseKeyText(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'abc', key.toString('hex').slice(2), Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), 'not-a-key-at-all-not-a-key-at-all-not-a-key-']) {
      expect(() => parseKeyText(bad)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_BAD', message: expect.stringContaining('base64 (44 characters) or hex (64 characters)') }));
    }
    try {
      parseKeyText('my-secret-passphrase');
    } catch (err) {
      expect((err as Error).message).not.toContain('my-secret-passphrase');
    }
  });

  test('the key file is created whole, mode 0600, and never replaced', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'secret.key');
      const key = createKeyFile(file);
      expect(readFileSync(file)).toEqual(key);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(() => createKeyFile(file)).toThrow(/EEXIST/);
      expect(readFileSync(file)).toEqual(key);
      expect(readKeyFile(file)).toEqual(key);
    } finally {
      dir.cleanup();
    }
  });

  test('a key file readable by others, of the wrong size or not a file is refused, saying what to do', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'secret.key');
      writeFileSync(file, SecretBox.newKey(), { mode: 0o644 });
      chmodSync(file, 0o644);
      expect(() => readKeyFile(file)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_MODE', message: expect.stringContaining(`chmod 600 ${file}`) }));
      chmodSync(file, 0o640);
      expect(() => readKeyFile(file)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_MODE', message: expect.stringContaining('mode 0640') }));
      writeFileSync(file, Buffer.alloc(16));
      chmodSync(file, 0o600);
      expect(() => readKeyFile(file)).toThrow(expect.objectContaining({ code: 'SECRET_KEY_BAD', message: expect.stringContaining('holds 16 bytes; a secret key is 32') }));
      const folder = join(dir.path, 'folder.key');
      mkdirSync(folder, { mode: 0o700 });
      expect(() => readKeyFile(folder)).toThrow(/not a regular file/);
      // A link to a proper key file is read through.
      const good = join(dir.path, 'good.key');
      writeFileSync(good, KEY, { mode: 0o600 });
      symlinkSync(good, join(dir.path, 'link.key'));
      expect(readKeyFile(join(dir.path, 'link.key'))).toEqual(KEY);
    } finally {
      dir.cleanup();
    }
  });

  test('TMON_SECRET_KEY comes first; a missing file is created only when the store holds nothing sealed', () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'secret.key');
      const fromEnv = loadSecretKey({ file, env: KEY.toString('hex'), mayCreate: () => true, store: 'tmon.db' });
      expect(fromEnv).toMatchObject({ created: false, box: { source: 'TMON_SECRET_KEY' } });
      expect(() => statSync(file)).toThrow();
      expect(() => loadSecretKey({ file, mayCreate: () => false, store: '/h/tmon.db' })).toThrow(
        expect.objectContaining({ code: 'SECRET_KEY_MISSING', message: expect.stringMatching(/the store \/h\/tmon.db holds passwords sealed.*Restore secret.key from the backup/) }),
      );
      expect(() => statSync(file)).toThrow();
      const made = loadSecretKey({ file, env: '', mayCreate: () => true, store: 'tmon.db' });
      expect(made.created).toBe(true);
      const again = loadSecretKey({ file, mayCreate: () => false, store: 'tmon.db' });
      expect(again.created).toBe(false);
      expect(again.box.open(made.box.seal('same key'))).toBe('same key');
    } finally {
      dir.cleanup();
    }
  });
});
