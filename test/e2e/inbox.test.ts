import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';
import { batchText } from '../helpers/batches.js';
import { daemonTestFolders, dropIntoInbox, gatedScript, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';

const read = <T>(home: string, fn: (s: SqliteStore) => Promise<T>): Promise<T> => {
  const store = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
  return fn(store).finally(() => store.close());
};
const held = (home: string) => read(home, async (s) => (await s.listBatches()).map((b) => b.id).sort());
const stateOf = (home: string, id: string) => read(home, async (s) => (await s.batchDetail(id))?.state);

describe('the inbox (issues 12 and 13)', () => {
  const folders = daemonTestFolders();
  const spawnTracked = (...a: Parameters<typeof spawnDaemon>): DaemonProcess => folders.track(spawnDaemon(...a));

  test('two daemons sharing one inbox folder (config inbox): each file is taken by exactly one of them, none twice, none lost', async () => {
    const shared = join(folders.dir(), 'shared-inbox');
    mkdirSync(shared);
    const homes = ['A', 'B'].map((n) => join(folders.dir(), n));
    for (const home of homes) {
      mkdirSync(home);
      // Relative to the config file, like every path in it.
      writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inbox: '../shared-inbox', inboxSweepMs: 50 }));
    }
    const daemons = homes.map((home) => spawnTracked(['--home', home]));
    await Promise.all(daemons.map((d) => d.started()));
    const ids = Array.from({ length: 200 }, (_, i) => `S${String(i).padStart(3, '0')}`);
    for (const id of ids) dropIntoInbox(shared, `${id}.kvg`, batchText(id, [{ id: `${id}_0`, op: 'NOOP', host: 'AD' }]));
    const both = async () => [...(await held(homes[0]!)), ...(await held(homes[1]!))];
    await waitFor('every batch taken', async () => (await both()).length >= ids.length, 60_000);
    // Once each: the two stores hold every batch between them and none twice; nothing refused or left behind.
    expect((await both()).sort()).toEqual(ids);
    expect(readdirSync(join(shared, 'rejected'))).toEqual([]);
    expect(readdirSync(shared).filter((f) => f.endsWith('.kvg'))).toEqual([]);
    for (const taken of readdirSync(shared).filter((f) => f.startsWith('.taken-'))) expect(readdirSync(join(shared, taken)).filter((f) => f.endsWith('.kvg'))).toEqual([]);
    // Each daemon has its own claim folder (its machine and home), and both took part.
    expect(readdirSync(shared).filter((f) => f.startsWith('.taken-'))).toHaveLength(2);
    expect((await held(homes[0]!)).length).toBeGreaterThan(0);
    expect((await held(homes[1]!)).length).toBeGreaterThan(0);
  });

  test('a budget of unfinished actions holds the backlog on disk; interactive work is taken all the same', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    // The target waits until the test opens the gate: the actions stay unfinished meanwhile.
    const { script, gate } = gatedScript(folders.dir());
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ maxPendingActions: 4, inboxSweepMs: 100, targets: { SLOW: { connector: 'script', script } } }));
    const daemon = spawnTracked(['--home', home]);
    await daemon.started();
    const inbox = join(home, 'inbox');
    const four = (id: string) => batchText(id, [0, 1, 2, 3].map((i) => ({ id: `${id}_${i}`, op: 'NOOP', host: 'SLOW' })));
    dropIntoInbox(inbox, 'a.kvg', four('A'));
    await waitFor('A', async () => (await held(home)).includes('A'));
    dropIntoInbox(inbox, 'b.kvg', four('B'));
    dropIntoInbox(inbox, 'c.kvg', batchText('C', [{ id: 'C_0', op: 'NOOP', host: 'FAST', interactive: true, replyid: 'c-0' }]));
    // The interactive batch gets in and runs while B waits on disk for room.
    await waitFor('C', async () => (await stateOf(home, 'C')) === 'succeeded');
    expect(await held(home)).toEqual(['A', 'C']);
    expect(readdirSync(inbox)).toContain('b.kvg');
    writeFileSync(gate, '');
    await waitFor('B', async () => (await stateOf(home, 'B')) === 'succeeded');
    expect(await stateOf(home, 'A')).toBe('succeeded');
    expect(readdirSync(inbox).filter((f) => f.endsWith('.kvg'))).toEqual([]);
  });

  test('a sender that marks everything interactive does not defeat the budget: past it, interactive work gets a bounded reserve', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    const { script, gate } = gatedScript(folders.dir());
    // Budget 10; the reserve past it for interactive work is a tenth of the budget, at least 100.
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ maxPendingActions: 10, inboxSweepMs: 100, targets: { SLOW: { connector: 'script', script } } }));
    const inbox = join(home, 'inbox');
    mkdirSync(inbox, { recursive: true });
    for (let b = 0; b < 40; b++) {
      const id = `I${String(b).padStart(2, '0')}`;
      dropIntoInbox(inbox, `${id}.kvg`, batchText(id, [0, 1, 2, 3, 4].map((i) => ({ id: `${id}_${i}`, op: 'NOOP', host: 'SLOW', interactive: true }))));
    }
    const daemon = spawnTracked(['--home', home]);
    await daemon.started();
    await waitFor('the reserve to fill', async () => readdirSync(inbox).filter((f) => f.endsWith('.kvg')).length <= 40 - 22);
    // Two heartbeats of the daemon later (a sweep every 100 ms meanwhile), nothing more got in.
    const beat = async () => (await read(home, (s) => s.presence()))!.heartbeatAt;
    const first = await beat();
    await waitFor('two more heartbeats', async () => (await beat()) >= first + 2000);
    expect((await held(home)).length * 5).toBeLessThanOrEqual(10 + 100 + 5);
    expect(readdirSync(inbox).filter((f) => f.endsWith('.kvg')).length).toBeGreaterThanOrEqual(40 - 23);
    writeFileSync(gate, '');
    await waitFor('every batch', async () => (await held(home)).length === 40, 60_000);
  });

  test('only regular files are read: a named pipe, a folder and a symbolic link are refused unopened; other names are reported once', async () => {
    const home = join(folders.dir(), 'home');
    const inbox = join(home, 'inbox');
    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(folders.dir(), 'secret.txt'), 'outside the home: never read');
    execFileSync('mkfifo', [join(inbox, 'pipe.kvg')]);
    mkdirSync(join(inbox, 'folder.kvg'));
    symlinkSync(join(folders.dir(), 'secret.txt'), join(inbox, 'link.kvg'));
    writeFileSync(join(inbox, 'notes.txt'), 'not a batch');
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 100 }));
    const daemon = spawnTracked(['--home', home]);
    await daemon.started();
    const rejected = join(inbox, 'rejected');
    await waitFor('the refusals', () => ['pipe.kvg.error', 'folder.kvg.error', 'link.kvg.error'].every((f) => readdirSync(rejected).includes(f)));
    expect(readFileSync(join(rejected, 'pipe.kvg.error'), 'utf8')).toBe('pipe.kvg: is a named pipe, not a regular file; refused unread\n');
    expect(readFileSync(join(rejected, 'folder.kvg.error'), 'utf8')).toBe('folder.kvg: is a folder, not a regular file; refused unread\n');
    expect(readFileSync(join(rejected, 'link.kvg.error'), 'utf8')).toBe('link.kvg: is a symbolic link, not a regular file; refused unread\n');
    expect(statSync(join(rejected, 'link.kvg.error')).mode & 0o777).toBe(0o600);
    // The daemon still works, and SIGTERM still stops it (no open() blocked on the pipe).
    dropIntoInbox(inbox, 'ok.kvg', batchText('OK', [{ id: 'OK_0', op: 'NOOP', host: 'AD' }]));
    await waitFor('OK', async () => (await stateOf(home, 'OK')) === 'succeeded');
    const board = await read(home, (s) => s.messages());
    expect(board.filter((m) => m.text.includes('notes.txt is not taken'))).toHaveLength(1);
    expect(board.map((m) => m.text).join('\n')).not.toContain('outside the home');
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  test('an invalid file with a 251-character name is refused under a shorter name; the daemon keeps running', async () => {
    const home = join(folders.dir(), 'home');
    const inbox = join(home, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const daemon = spawnTracked(['--home', home]);
    await daemon.started();
    const long = `${'x'.repeat(247)}.kvg`;
    // Its own dot-name would be too long: the writer renames from a short one.
    writeFileSync(join(inbox, '.long.part'), 'this is { not KVGroup');
    renameSync(join(inbox, '.long.part'), join(inbox, long));
    const rejected = join(inbox, 'rejected');
    await waitFor('the refusal', () => readdirSync(rejected).some((f) => f.endsWith('.kvg.error')));
    const [error] = readdirSync(rejected).filter((f) => f.endsWith('.error'));
    expect(error!.length).toBeLessThan(200);
    expect(readdirSync(inbox)).not.toContain(long);
    dropIntoInbox(inbox, 'ok.kvg', batchText('OK', [{ id: 'OK_0', op: 'NOOP', host: 'AD' }]));
    await waitFor('OK', async () => (await stateOf(home, 'OK')) === 'succeeded');
  });
});
