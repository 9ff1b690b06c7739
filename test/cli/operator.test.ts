import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { batchStates, readStore } from '../helpers/store-read.js';

/**
 * The operator's commands on a store prepared by the real engine: a batch with a failed action
 * and the one skipped after it, and a batch that waits on another batch.
 */
describe('operator commands on a store prepared by the engine', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const t = (...args: string[]) => tmon(['--home', home, ...args], { env: { NO_COLOR: '1' } });
  // Polled from the store, not through `tmon status` (whose output the tests below check).
  const final = (batch: string) => async () => {
    const b = await batchStates(home, batch);
    return b && ['succeeded', 'failed', 'canceled'].includes(b.state) ? b : undefined;
  };
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = spawnDaemon(['--home', home]);
    await daemon.started();
    dropIntoInbox(
      join(home, 'inbox'),
      'hire.kvg',
      batchText('HIRE-7', [
        { id: 'HIRE-7_0', op: 'ACUA', host: 'AD', user: 'ann', replyid: 'r70' },
        { id: 'HIRE-7_1', op: 'GRUA', host: 'AD', user: 'bob', group: 'staff', replyid: 'r71', depends: ['HIRE-7_0'] },
        { id: 'HIRE-7_2', op: 'LOCK', host: 'AD', user: 'bob', replyid: 'r72', depends: ['HIRE-7_1'] },
        { id: 'HIRE-7_3', op: 'GRUA', host: 'AD', user: 'ann', group: 'vpn', depends: ['HIRE-7_0'] },
      ]),
    );
    await waitFor('HIRE-7', final('HIRE-7'));
    dropIntoInbox(join(home, 'inbox'), 'later.kvg', batchText('LATER-1', [{ id: 'LATER-1_0', op: 'ULCK', host: 'AD', user: 'ann', replyid: 'rl', depends: [{ batch: 'HIRE-7', action: 'HIRE-7_3' }] }]));
    await waitFor('LATER-1', final('LATER-1'));
  });
  afterAll(async () => {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
    dir.cleanup();
  });

  test('status: all batches, newest first, with counts; filters; JSON', () => {
    const r = t('status');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^BATCH\s+STATE\s+ACTIONS\s+OK\s+FAILED\s+SKIPPED\s+PENDING\s+AGE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 7))).toEqual([
      ['LATER-1', 'succeeded', '1', '1', '0', '0', '0'],
      ['HIRE-7', 'failed', '4', '2', '1', '1', '0'],
    ]);
    expect(JSON.parse(t('status', '--state', 'failed', '--json').stdout).map((b: { id: string }) => b.id)).toEqual(['HIRE-7']);
    expect(JSON.parse(t('status', '--since', '1h', '--limit', '1', '--json').stdout).map((b: { id: string }) => b.id)).toEqual(['LATER-1']);
    expect(t('status', '--state', 'bogus').status).toBe(2);
  });

  test('status BATCH: each action with what it waits on and its last error', () => {
    const detail = JSON.parse(t('status', 'HIRE-7', '--json').stdout);
    expect(detail.actions.map((a: Record<string, unknown>) => [a.id, a.state, a.operation, a.hostid, a.userid, a.attempts, a.lastError])).toEqual([
      ['HIRE-7_0', 'succeeded', 'ACUA', 'AD', 'ann', 1, null],
      ['HIRE-7_1', 'failed', 'GRUA', 'AD', 'bob', 1, 'no such account bob on AD'],
      ['HIRE-7_2', 'skipped', 'LOCK', 'AD', 'bob', 0, 'skipped: it waits for action HIRE-7_1 of batch HIRE-7, which failed'],
      ['HIRE-7_3', 'succeeded', 'GRUA', 'AD', 'ann', 1, null],
    ]);
    expect(JSON.parse(t('status', 'LATER-1', '--json').stdout).actions[0].depends).toEqual([{ batch: 'HIRE-7', action: 'HIRE-7_3' }]);
  });

  test('show: the dependency tree, within 80 columns, no colour when not a terminal', () => {
    const r = t('show', 'HIRE-7');
    expect(r.stdout).toBe(
      [
        'batch HIRE-7  failed  (4 actions: 2 ok, 1 failed, 1 skipped)',
        '└─ HIRE-7_0  ACUA AD ann  [primary] succeeded',
        '   ├─ HIRE-7_1  GRUA AD bob  [primary] failed',
        '   │  │  ! no such account bob on AD',
        '   │  └─ HIRE-7_2  LOCK AD bob  [primary] skipped',
        '   │        ! skipped: it waits for action HIRE-7_1 of batch HIRE-7, which fail…',
        '   └─ HIRE-7_3  GRUA AD ann  [primary] succeeded',
        '',
      ].join('\n'),
    );
    expect(r.stdout.split('\n').every((l) => [...l].length <= 80)).toBe(true);
    expect(r.stdout).not.toContain('\u001b[');
    expect(t('show', 'LATER-1').stdout).toContain('└─ LATER-1_0  ULCK AD ann  [primary; waits on HIRE-7/HIRE-7_3] succeeded');
    const tree = JSON.parse(t('show', 'HIRE-7', '--json').stdout);
    expect(tree.roots[0].children.map((c: { id: string; children: Array<{ id: string }> }) => [c.id, c.children.map((g) => g.id)])).toEqual([
      ['HIRE-7_1', ['HIRE-7_2']],
      ['HIRE-7_3', []],
    ]);
  });

  test('directory and messages in human form', () => {
    expect(t('directory').stdout).toBe('AD:\n  ann (ann): enabled; groups vpn\n');
    expect(JSON.parse(t('directory', '--host', 'NOPE', '--json').stdout)).toEqual({});
    // Nothing went wrong outside the actions yet: the board is empty, and says so.
    expect(t('messages').stdout).toBe('no messages\n');
  });

  test('replies and messages', () => {
    const replies = JSON.parse(t('replies', '--json').stdout) as Array<{ replyid: string; status: string }>;
    expect(replies.map((r) => [r.replyid, r.status])).toEqual([
      ['r70', 'success'],
      ['r71', 'failure'],
      ['r72', 'failure'],
      ['rl', 'success'],
    ]);
    expect(JSON.parse(t('replies', '--after', '3', '--json').stdout).map((r: { replyid: string }) => r.replyid)).toEqual(['rl']);
    expect(t('replies').stdout.split('\n')[0]).toMatch(/^SEQ\s+REPLYID\s+STATUS\s+BATCH\s+ACTION\s+OP\s+AT\s+MESSAGE$/);
  });

  test('retry is refused for what did not fail; for a failed action it requeues it with what was skipped', async () => {
    const refused = t('retry', 'HIRE-7_2');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe('tmon: action HIRE-7_2 of batch HIRE-7 is skipped; only a failed action can be retried\n');
    expect(t('retry', 'NOPE-1').status).toBe(66);
    // Make the retry able to succeed: bob now exists.
    dropIntoInbox(join(home, 'inbox'), 'fix.kvg', batchText('FIX-1', [{ id: 'FIX-1_0', op: 'ACUA', host: 'AD', user: 'bob' }]));
    await waitFor('FIX-1', final('FIX-1'));
    const r = t('retry', 'HIRE-7_1', '--note', 'bob created by FIX-1', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ requeued: ['HIRE-7_1', 'HIRE-7_2'] });
    const done = await waitFor('HIRE-7 again', async () => ((await final('HIRE-7')())?.state === 'succeeded' ? true : undefined));
    expect(done).toBe(true);
    // The failure was already answered; the replyid is not answered twice.
    expect((JSON.parse(t('replies', '--json').stdout) as Array<{ replyid: string }>).filter((x) => x.replyid === 'r71')).toHaveLength(1);
    const messages = JSON.parse(t('messages', '--json').stdout) as Array<{ source: string; text: string }>;
    expect(messages.at(-1)).toMatchObject({ source: 'operator', text: 'retry: HIRE-7_1, HIRE-7_2 queued again (bob created by FIX-1)' });
  });

  test('cancel is refused for a finished batch or one that does not exist', () => {
    expect(t('cancel', 'HIRE-7').stderr).toMatch(/^tmon: batch HIRE-7 is (failed|succeeded); nothing is left to cancel\n$/);
    expect(t('cancel', 'NOPE').stderr).toBe('tmon: no batch NOPE\n');
  });

  test('tmon status in a loop while the daemon works: no error, no lock wait', async () => {
    for (let i = 0; i < 30; i++) dropIntoInbox(join(home, 'inbox'), `load-${i}.kvg`, batchText(`LOAD-${i}`, [{ id: `LOAD-${i}_0`, op: 'CRTG', host: `L${i % 3}`, group: `g${i}` }, { id: `LOAD-${i}_1`, op: 'NOOP', host: `L${i % 3}`, depends: [`LOAD-${i}_0`] }]));
    for (let i = 0; i < 15; i++) {
      const r = t('status', '--json');
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
    }
    const loaded = () => readStore(home, async (s) => (await s.listBatches({ state: 'succeeded' })).filter((b) => b.id.startsWith('LOAD-')).length);
    expect(await waitFor('the load', async () => (await loaded()) === 30)).toBe(true);
  });
});
