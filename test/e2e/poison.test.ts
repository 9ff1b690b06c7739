import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { batchText } from '../helpers/batches.js';
import { daemonTestFolders, dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';

const stateOf = async (home: string, id: string) => {
  const s = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
  try {
    return (await s.batchDetail(id))?.state;
  } finally {
    await s.close();
  }
};

describe('unlucky input never stops the daemon for good (issue 13)', () => {
  const folders = daemonTestFolders();

  test('a file that kills the daemon while it is read: after the second death it is refused, and the daemon runs', async () => {
    const home = join(folders.dir(), 'home');
    const inbox = join(home, 'inbox');
    mkdirSync(inbox, { recursive: true });
    // Limits raised so that the file is read at all; a small heap so that reading it kills.
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ limits: { batchBytes: 100 * 1024 * 1024, actionsPerBatch: 5000 } }));
    const pairs = Array.from({ length: 1_000_000 }, (_, i) => `      "k${i}" = "v"\n`).join('');
    writeFileSync(join(inbox, '.huge.part'), `"" "" = {\n  "batch" "HUGE" = {\n    "action" "HUGE_0" = {\n      "operation" = "NOOP"\n      "hostid" = "AD"\n${pairs}    }\n  }\n}\n`);
    renameSync(join(inbox, '.huge.part'), join(inbox, 'huge.kvg'));
    const env = { NODE_OPTIONS: '--max-old-space-size=48' };
    for (let death = 1; death <= 2; death++) {
      const d = folders.track(spawnDaemon(['--home', home], { env }));
      const { code, signal } = await d.exited;
      expect(code !== 0 || signal !== null).toBe(true);
      // Not lost: in the inbox, or in the daemon's claim folder, from where its next start puts it back.
      const claimed = readdirSync(inbox).filter((f) => f.startsWith('.taken-')).map((f) => readdirSync(join(inbox, f)));
      expect([...readdirSync(inbox), ...claimed.flat()]).toContain('huge.kvg');
    }
    const third = folders.track(spawnDaemon(['--home', home], { env }));
    await third.started();
    await waitFor('the refusal', () => readdirSync(join(inbox, 'rejected')).includes('huge.kvg.error'));
    expect(readFileSync(join(inbox, 'rejected', 'huge.kvg.error'), 'utf8')).toContain('huge.kvg: the daemon died twice while reading this file');
    expect(readFileSync(join(home, 'logs', 'tmon.log'), 'utf8')).toContain('the daemon died while reading huge.kvg (2 time(s))');
    dropIntoInbox(inbox, 'ok.kvg', batchText('OK', [{ id: 'OK_0', op: 'NOOP', host: 'AD' }]));
    await waitFor('OK', async () => (await stateOf(home, 'OK')) === 'succeeded');
  }, 60_000);

  test('a file over limits.batchBytes is refused unread, naming the limit', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(join(home, 'inbox'), { recursive: true });
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ limits: { batchBytes: 2048 } }));
    const d = folders.track(spawnDaemon(['--home', home]));
    await d.started();
    const big = batchText('BIG', Array.from({ length: 40 }, (_, i) => ({ id: `BIG_${i}`, op: 'NOOP', host: 'AD' })));
    dropIntoInbox(join(home, 'inbox'), 'big.kvg', big);
    await waitFor('the refusal', () => readdirSync(join(home, 'inbox', 'rejected')).includes('big.kvg.error'));
    expect(readFileSync(join(home, 'inbox', 'rejected', 'big.kvg.error'), 'utf8')).toBe(`big.kvg: is ${Buffer.byteLength(big)} bytes, over the limit of 2048 bytes for a batch file; refused unread\n`);
    expect(await stateOf(home, 'BIG')).toBeUndefined();
  });

  test('a file-system error while refusing a file (rejected/ is not a folder) is logged and tried again, never fatal', async () => {
    const home = join(folders.dir(), 'home');
    const inbox = join(home, 'inbox');
    mkdirSync(join(inbox, 'rejected'), { recursive: true });
    const d = folders.track(spawnDaemon(['--home', home]));
    await d.started();
    // Injected: rejected/ replaced by a plain file, so writing bad.kvg.error fails (ENOTDIR).
    rmSync(join(inbox, 'rejected'), { recursive: true });
    writeFileSync(join(inbox, 'rejected'), 'in the way');
    dropIntoInbox(inbox, 'bad.kvg', 'not { KVGroup');
    await waitFor('the failed move', () => readFileSync(join(home, 'logs', 'tmon.log'), 'utf8').includes('inbox: cannot move bad.kvg to rejected/'));
    // Put back into the inbox for the next sweep.
    await waitFor('bad.kvg back in the inbox', () => readdirSync(inbox).includes('bad.kvg'));
    // Put right: the next sweep moves it, and the daemon never stopped.
    rmSync(join(inbox, 'rejected'));
    mkdirSync(join(inbox, 'rejected'));
    await waitFor('the refusal', () => readdirSync(join(inbox, 'rejected')).includes('bad.kvg.error'));
    dropIntoInbox(inbox, 'ok.kvg', batchText('OK', [{ id: 'OK_0', op: 'NOOP', host: 'AD' }]));
    await waitFor('OK', async () => (await stateOf(home, 'OK')) === 'succeeded');
    expect(d.child.exitCode).toBeNull();
  });
});
