import { join } from 'node:path';
import { setup, stop } from '../e2e/views-home.js';
import { batchText } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { outboxReplies, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';

/*
 * The operator views' commands when no daemon runs (the CLI applies cancel and pause itself,
 * and the daemon honours them at its next start), and their usage errors and exit codes.
 */
describe('operator views without a running daemon', () => {
  test('cancel one action and pause a target with the daemon stopped; the next start writes the replies and keeps the pause', async () => {
    const { dir, home, t, stateOf, drop } = setup({ exit: 75, retryMs: 3_600_000 });
    const states = () => Promise.all(['V-1_0', 'V-1_1', 'V-1_2'].map((a) => stateOf('V-1', a)));
    let daemon = spawnDaemon(['--home', home]);
    try {
      await daemon.started();
      drop('v1.kvg', batchText('V-1', [
        { id: 'V-1_0', op: 'NOOP', host: 'HR', replyid: 'v0' },
        { id: 'V-1_1', op: 'NOOP', host: 'AD', replyid: 'v1', depends: ['V-1_0'] },
        { id: 'V-1_2', op: 'NOOP', host: 'AD', replyid: 'v2', depends: ['V-1_1'] },
      ]));
      await waitFor('the retry', async () => (await states())[0] === 'retrying');
      await stop(daemon);

      const cancel = t('cancel', 'V-1', 'V-1_1', '--note', 'by hand');
      expect([cancel.status, cancel.stdout]).toEqual([0, 'canceled: V-1_1\nskipped: V-1_2\n']);
      expect(await states()).toEqual(['retrying', 'canceled', 'skipped']);
      expect(JSON.parse(t('pause', 'HR', '--json').stdout)).toEqual({ paused: ['HR'] });
      expect(JSON.parse(t('stuck', '--json').stdout)).toEqual([expect.objectContaining({ action: 'V-1_0', reason: 'paused', text: expect.stringMatching(/^target HR is paused .*; next retry at \S+ \(attempt 1 of 5 failed\), last error: /) })]);

      daemon = spawnDaemon(['--home', home]);
      await daemon.started();
      await waitFor('the reply files', () => ['v1', 'v2'].every((id) => outboxReplies(join(home, 'outbox')).some((r) => r.replyid === id && r.status === 'failure')));
      expect(t('status').stdout).toMatch(/\npaused targets: HR \(since [^)]+\)\n$/);
      expect(JSON.parse(t('stuck', '--json').stdout)).toEqual([expect.objectContaining({ action: 'V-1_0', paused: true })]);
    } finally {
      await stop(daemon);
      dir.cleanup();
    }
  });

  test('usage errors exit 2 and a home without a store 66, each on one line', () => {
    const dir = tempDir();
    const t = (...args: string[]) => tmon(['--home', dir.path, ...args]);
    try {
      const cases: Array<[string[], number, string]> = [
        [['replies', '--limit', '0'], 2, 'tmon: --limit must be a whole number of 1 or more'],
        [['replies', '--after', 'x'], 2, 'tmon: --after must be a sequence number (0 or more)'],
        [['find', '--user', ''], 2, 'tmon: --user needs a value'],
        [['find', '--host', 'AD', '--limit', 'many'], 2, 'tmon: --limit must be a whole number of 1 or more'],
        [['messages', '--ack', '0'], 2, 'tmon: --ack must be a message seq (1 or more) or "all", not "0"'],
        [['replies', '--follow'], 66, 'tmon: no database in this home: the daemon has not run here yet'],
        [['pause', 'HR'], 66, `tmon: no database at ${join(dir.path, 'tmon.db')}: the daemon has not run on this home yet`],
      ];
      for (const [args, code, line] of cases) {
        const r = t(...args);
        expect([args, r.status, r.stderr.split('\n')[0]]).toEqual([args, code, line]);
      }
      // Views of a home where nothing ran yet: empty, not an error.
      expect(t('stuck').stdout).toBe('nothing is stuck: every action is final\n');
      expect(t('find', '--user', 'ann', '--json').stdout).toBe('[]\n');
    } finally {
      dir.cleanup();
    }
  });
});
