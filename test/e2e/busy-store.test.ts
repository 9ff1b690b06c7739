import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { batchText } from '../helpers/batches.js';
import { daemonTestFolders, dropIntoInbox, gatedScript, spawnDaemon, waitFor } from '../helpers/daemon.js';

describe('a busy store (issue 13 item 6)', () => {
  const folders = daemonTestFolders();

  test('another process holding the write lock delays the commit of a result; nothing strands, nothing is answered as a failure', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    const started = join(folders.dir(), 'started');
    const { script, gate } = gatedScript(folders.dir(), `touch "${started}"`);
    // A short busy timeout: the commit gives up soon, rather than after the default 5 s.
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ storeBusyTimeoutMs: 200, targets: { HR: { connector: 'script', script } } }));
    const daemon = folders.track(spawnDaemon(['--home', home]));
    await daemon.started();
    dropIntoInbox(join(home, 'inbox'), 'b.kvg', batchText('B', [{ id: 'B_0', op: 'NOOP', host: 'HR', replyid: 'b-0' }]));
    await waitFor('the action to run', () => existsSync(started));
    // Another process takes the store's write lock, then the action finishes.
    const other = new Database(join(home, 'tmon.db'));
    other.pragma('busy_timeout = 10000');
    other.exec('BEGIN IMMEDIATE');
    try {
      writeFileSync(gate, '');
      await waitFor('the commit to be refused', () => readFileSync(join(home, 'logs', 'tmon.log'), 'utf8').includes('the store could not commit'), 30_000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const read = () => new SqliteStore(join(home, 'tmon.db'), { readonly: true });
    await waitFor('the reply', async () => {
      const s = read();
      try {
        return (await s.replies()).length > 0;
      } finally {
        await s.close();
      }
    });
    const s = read();
    try {
      expect((await s.replies()).map((r) => [r.replyid, r.status])).toEqual([['b-0', 'success']]);
      expect((await s.batchDetail('B'))!.actions.map((a) => [a.id, a.state, a.attempts])).toEqual([['B_0', 'succeeded', 1]]);
    } finally {
      await s.close();
    }
    expect(daemon.child.exitCode).toBeNull();
  });
});
