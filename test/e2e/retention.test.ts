import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { daemonTestFolders, dropIntoInbox, gatedScript, outboxReplies, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { batchState, heldBatches } from '../helpers/store-read.js';

const held = heldBatches;
const stateOf = batchState;
const purge = (home: string, ...args: string[]) => {
  const r = tmon(['--home', home, 'purge', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { dryRun: boolean; batches: string[]; held: string[]; actions: number; replies: number; messages: number };
};

describe('retention and tmon purge (issue 15 item 2)', () => {
  const folders = daemonTestFolders();
  let daemon: DaemonProcess | undefined;
  const start = (home: string) => (daemon = folders.track(spawnDaemon(['--home', home]))).started();

  test('tmon purge through the running daemon: finished batches go and free their replyids; unfinished ones and those they depend on stay', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    // The SLOW target waits until the test opens the gate: its batch stays unfinished meanwhile.
    const { script, gate } = gatedScript(folders.dir());
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 100, targets: { SLOW: { connector: 'script', script } } }));
    await start(home);
    const inbox = join(home, 'inbox');
    dropIntoInbox(inbox, 'a.kvg', batchText('A', [{ id: 'A_0', replyid: 'ra' }]));
    dropIntoInbox(inbox, 'd.kvg', batchText('D', [{ id: 'D_0', replyid: 'rd' }]));
    await waitFor('A and D', async () => (await stateOf(home, 'A')) === 'succeeded' && (await stateOf(home, 'D')) === 'succeeded');
    // E, unfinished, depends on D's action.
    dropIntoInbox(inbox, 'e.kvg', batchText('E', [{ id: 'E_0', host: 'SLOW', replyid: 're', depends: [{ batch: 'D', action: 'D_0' }] }]));
    await waitFor('E running', async () => (await stateOf(home, 'E')) === 'running');
    // While A holds replyid ra, another batch using it is refused.
    dropIntoInbox(inbox, 'a2.kvg', batchText('A2', [{ id: 'A2_0', replyid: 'ra' }]));
    await waitFor('A2 refused', () => existsSync(join(inbox, 'rejected', 'a2.kvg')));
    await waitFor('the replies in the outbox', () => outboxReplies(join(home, 'outbox')).length === 2);

    const dry = purge(home, '--older-than', '0s', '--dry-run');
    expect(dry).toMatchObject({ dryRun: true, batches: ['A'], held: ['D'], actions: 1, replies: 1 });
    expect(dry.messages).toBeGreaterThan(0);
    expect(await held(home)).toEqual(['A', 'D', 'E']);

    expect(purge(home, '--older-than', '0s')).toMatchObject({ dryRun: false, batches: ['A'], held: ['D'] });
    // It was the daemon that purged.
    await waitFor('the daemon to log the purge', () => daemon!.output().includes('purge: removed 1 batch(es), 1 action(s), 1 reply(ies)'));
    expect(await held(home)).toEqual(['D', 'E']);
    expect(JSON.parse(tmon(['--home', home, 'messages', '--json']).stdout)).toEqual([]);
    // A's replyid is free again: a new batch with it runs and is answered.
    dropIntoInbox(inbox, 'a3.kvg', batchText('A3', [{ id: 'A3_0', replyid: 'ra' }]));
    await waitFor('A3', async () => (await stateOf(home, 'A3')) === 'succeeded');
    await waitFor('the second reply for ra', () => outboxReplies(join(home, 'outbox')).filter((r) => r.replyid === 'ra').length === 2);

    // Once E is done, D is no longer needed: a day-old cut keeps them, a zero one takes them.
    writeFileSync(gate, '');
    await waitFor('E', async () => (await stateOf(home, 'E')) === 'succeeded');
    await waitFor('E answered', () => outboxReplies(join(home, 'outbox')).some((r) => r.replyid === 're'));
    expect(purge(home, '--older-than', '1d').batches).toEqual([]);
    expect(purge(home, '--older-than', '0s').batches.sort()).toEqual(['A3', 'D', 'E']);
    expect(await held(home)).toEqual([]);
  });

  test('the daemon purges by retention soon after it starts; with no daemon, tmon purge applies directly', async () => {
    const home = join(folders.dir(), 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 100 }));
    await start(home);
    dropIntoInbox(join(home, 'inbox'), 'a.kvg', batchText('A', [{ id: 'A_0', replyid: 'ra' }]));
    dropIntoInbox(join(home, 'inbox'), 'b.kvg', batchText('B', [{ id: 'B_0', replyid: 'rb' }]));
    await waitFor('A and B', async () => (await stateOf(home, 'A')) === 'succeeded' && (await stateOf(home, 'B')) === 'succeeded');
    await waitFor('the replies in the outbox', () => outboxReplies(join(home, 'outbox')).length === 2);
    daemon!.child.kill('SIGTERM');
    expect(await daemon!.exited).toEqual({ code: 0, signal: null });

    // No daemon: the purge is applied by the CLI itself.
    expect(purge(home, '--older-than', '0s', '--dry-run').batches).toEqual(['A', 'B']);
    expect(await held(home)).toEqual(['A', 'B']);
    expect(tmon(['--home', home, 'purge', '--older-than', 'soon']).status).toBe(2);
    // The default retention (30 days) keeps them; a zero one at the next start purges them.
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 100, logLevel: 'debug', firstPurgeMs: 100 }));
    await start(home);
    await waitFor('the purge at start', () => daemon!.output().includes('purge: removed 0 batch(es)'));
    daemon!.child.kill('SIGTERM');
    await daemon!.exited;
    expect(await held(home)).toEqual(['A', 'B']);
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ inboxSweepMs: 100, firstPurgeMs: 100, retention: { batchesDays: 0, messagesDays: 30 } }));
    await start(home);
    await waitFor('the purge at start', async () => (await held(home)).length === 0);
    await waitFor('the purge logged', () => daemon!.output().includes('purge: removed 2 batch(es)'));
  });
});
