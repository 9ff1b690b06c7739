import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareBatch } from '../../src/engine/index.js';
import { homeLayout } from '../../src/home.js';
import { printKvg } from '../../src/kvgroup/index.js';
import { createKeyFile, SecretBox } from '../../src/secrets/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { actionGroup } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { spawnDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';

/*
 * The daemon's start with its secret key (issue 15): made at the first start, refused when it
 * is too widely readable, damaged, missing where the store needs it, or another key.
 */

/** A home whose store holds a password sealed with the home's key file: an action not yet run. */
async function sealedHome(root: string): Promise<Buffer> {
  mkdirSync(root, { recursive: true });
  const layout = homeLayout(root);
  const key = createKeyFile(layout.secretKey);
  const store = new SqliteStore(layout.db, { secrets: new SecretBox(key) });
  const text = printKvg({ type: '', name: '', members: [{ type: 'batch', name: 'K', members: [actionGroup('K', { id: 'k', op: 'ACHG', extra: { newpw: 'Sealed-Pw-2207' } })] }] });
  await store.insertBatch(await prepareBatch(text, 'K.kvg'));
  await store.close();
  return key;
}

/** Starts the daemon, which must refuse: its exit code and what it said. */
function refusedStart(home: string, env: NodeJS.ProcessEnv = {}): { status: number | null; said: string } {
  const r = tmon(['--home', home, 'daemon'], { env: { TMON_SECRET_KEY: '', ...env } });
  return { status: r.status, said: r.stderr + r.stdout };
}

describe('the secret key at start-up', () => {
  let dir: ReturnType<typeof tempDir>;
  let home: string;
  beforeEach(() => {
    dir = tempDir();
    home = join(dir.path, 'home');
  });
  afterEach(() => dir.cleanup());

  test('the first start makes secret.key, 32 random bytes, mode 0600, and says to back it up; the next start uses it', async () => {
    const first = spawnDaemon(['--home', home], { env: { TMON_SECRET_KEY: '' } });
    try {
      await first.started();
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
    expect(first.output()).toContain(`secret key created: ${join(home, 'secret.key')} (mode 0600)`);
    const key = readFileSync(join(home, 'secret.key'));
    expect(key).toHaveLength(32);
    expect(statSync(join(home, 'secret.key')).mode & 0o777).toBe(0o600);
    const second = spawnDaemon(['--home', home], { env: { TMON_SECRET_KEY: '' } });
    try {
      await second.started();
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    expect(second.output()).toContain('tmon daemon stopped');
    expect(second.output()).not.toContain('secret key created');
    expect(readFileSync(join(home, 'secret.key'))).toEqual(key);
  });

  test('TMON_SECRET_KEY takes precedence: no key file is made', async () => {
    const daemon = spawnDaemon(['--home', home], { env: { TMON_SECRET_KEY: SecretBox.newKey().toString('base64') } });
    try {
      await daemon.started();
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    expect(existsSync(join(home, 'secret.key'))).toBe(false);
  });

  test('a key file others may read is refused, naming the fix', async () => {
    await sealedHome(home);
    chmodSync(join(home, 'secret.key'), 0o644);
    const r = refusedStart(home);
    expect(r.status).toBe(1);
    expect(r.said).toContain(`${join(home, 'secret.key')} has mode 0644: others than its owner may read or change the secret key. Run chmod 600 ${join(home, 'secret.key')}`);
    expect(r.said).not.toContain('tmon daemon started');
  });

  test('a key file of the wrong size is refused', async () => {
    await sealedHome(home);
    writeFileSync(join(home, 'secret.key'), Buffer.alloc(31));
    const r = refusedStart(home);
    expect(r.status).toBe(1);
    expect(r.said).toContain('holds 31 bytes; a secret key is 32');
  });

  test('a missing key is refused while the store holds sealed passwords, and no new key is made', async () => {
    await sealedHome(home);
    const key = join(home, 'secret.key');
    // Lost.
    rmSync(key);
    const r = refusedStart(home);
    expect(r.status).toBe(1);
    expect(r.said).toMatch(/the store .*tmon\.db holds passwords sealed with a secret key, but there is no key: neither TMON_SECRET_KEY nor .*secret\.key\. Restore secret\.key from the backup/);
    expect(existsSync(key)).toBe(false);
  });

  test('another key is refused, from the file or from TMON_SECRET_KEY; a malformed TMON_SECRET_KEY too', async () => {
    const key = await sealedHome(home);
    const wrong = refusedStart(home, { TMON_SECRET_KEY: SecretBox.newKey().toString('hex') });
    expect(wrong.status).toBe(1);
    expect(wrong.said).toMatch(/the secret key from TMON_SECRET_KEY is not the key of .*tmon\.db: 2 action\(s\) or batch\(es\) there hold passwords sealed with another one/);
    writeFileSync(join(home, 'secret.key'), SecretBox.newKey(), { mode: 0o600 });
    const other = refusedStart(home);
    expect(other.said).toMatch(/the secret key from .*secret\.key is not the key of/);
    const malformed = refusedStart(home, { TMON_SECRET_KEY: 'hunter2' });
    expect(malformed.said).toContain('TMON_SECRET_KEY is not a secret key: give 32 bytes as base64 (44 characters) or hex (64 characters); it has 7 characters');
    expect(malformed.said).not.toContain('hunter2');
    // The right key, given in the environment, opens it.
    const right = spawnDaemon(['--home', home], { env: { TMON_SECRET_KEY: key.toString('hex') } });
    try {
      await right.started();
    } finally {
      right.child.kill('SIGTERM');
      await right.exited;
    }
  });
});
