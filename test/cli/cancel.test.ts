import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchText } from '../helpers/batches.js';
import { tmon } from '../helpers/cli.js';
import { dropIntoInbox, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { tempDir } from '../helpers/home.js';
import { batchStates } from '../helpers/store-read.js';

describe('tmon cancel', () => {
  test('cancels what has not started, answers the replyids, skips dependents in other batches; refused once final', async () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    mkdirSync(home);
    const busy = join(dir.path, 'busy.sh');
    writeFileSync(busy, '#!/bin/sh\necho "HR system busy"\nexit 75\n');
    chmodSync(busy, 0o755);
    // The HR target always asks to retry, an hour later: its action sits in "retrying".
    writeFileSync(join(home, 'tmon.config.json'), JSON.stringify({ targets: { HR: { connector: 'script', script: busy, retry: { firstDelayMs: 3_600_000, maxDelayMs: 3_600_000 } } } }));
    const daemon = spawnDaemon(['--home', home]);
    const t = (...args: string[]) => tmon(['--home', home, ...args]);
    try {
      await daemon.started();
      dropIntoInbox(
        join(home, 'inbox'),
        'leaver.kvg',
        batchText('LEAVER-1', [
          { id: 'LEAVER-1_0', op: 'DNAU', host: 'HR', user: 'ann', replyid: 'rl0' },
          { id: 'LEAVER-1_1', op: 'DNAU', host: 'AD', user: 'ann', replyid: 'rl1', depends: ['LEAVER-1_0'] },
        ]),
      );
      // The waits poll the store read-only; the CLI's own views are checked after the cancel.
      await waitFor('the retry', async () => (await batchStates(home, 'LEAVER-1'))?.actions['LEAVER-1_0'] === 'retrying');
      dropIntoInbox(join(home, 'inbox'), 'after.kvg', batchText('AFTER-1', [{ id: 'AFTER-1_0', op: 'NOOP', host: 'AD', replyid: 'ra', depends: [{ batch: 'LEAVER-1', action: 'LEAVER-1_1' }] }]));
      // Nothing of AFTER-1 can start yet, so it stays "received" (a batch runs once an action starts).
      await waitFor('AFTER-1', async () => (await batchStates(home, 'AFTER-1'))?.state === 'received');

      const r = t('cancel', 'LEAVER-1', '--note', 'request withdrawn', '--json');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ canceled: ['LEAVER-1_0', 'LEAVER-1_1'] });
      const detail = JSON.parse(t('status', 'LEAVER-1', '--json').stdout);
      expect(detail.state).toBe('canceled');
      expect(detail.actions.map((a: { state: string }) => a.state)).toEqual(['canceled', 'canceled']);
      expect(JSON.parse(t('status', 'AFTER-1', '--json').stdout)).toMatchObject({ state: 'failed', actions: [{ state: 'skipped', lastError: 'skipped: it waits for action LEAVER-1_1 of batch LEAVER-1, which was canceled' }] });
      const replies = JSON.parse(t('replies', '--json').stdout) as Array<{ replyid: string; status: string; message: string }>;
      expect(replies.map((x) => [x.replyid, x.status, x.message])).toEqual([
        ['rl0', 'failure', 'canceled by an operator (request withdrawn)'],
        ['rl1', 'failure', 'canceled by an operator (request withdrawn)'],
        ['ra', 'failure', 'skipped: it waits for action LEAVER-1_1 of batch LEAVER-1, which was canceled'],
      ]);
      // Applied by the running daemon: the reply files follow without a restart.
      const outbox = join(home, 'outbox');
      await waitFor('the reply files', () => {
        const text = readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8')).join('');
        return ['"rl0"', '"rl1"', '"ra"'].every((r) => text.includes(`"reply" ${r}`));
      });
      expect(readFileSync(join(home, 'logs', 'tmon.log'), 'utf8')).toContain('operator cancel: LEAVER-1_0, LEAVER-1_1');
      const again = t('cancel', 'LEAVER-1');
      expect(again.status).toBe(1);
      expect(again.stderr).toBe('tmon: batch LEAVER-1 is canceled; nothing is left to cancel\n');
      expect((JSON.parse(t('messages', '--json').stdout) as Array<{ source: string; text: string }>).at(-1)).toMatchObject({ source: 'operator', text: 'cancel: 2 action(s) canceled (request withdrawn)' });
    } finally {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
      dir.cleanup();
    }
  });
});
