import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printKvg } from '../../src/kvgroup/index.js';
import { actionGroup, batchText, type ActionSpec } from '../helpers/batches.js';
import { TMON } from '../helpers/cli.js';
import { outboxReplies, spawnDaemon, waitFor } from '../helpers/daemon.js';
import { setup, stop } from './views-home.js';

/*
 * The operator views a help desk asks for (issue 15 items 5-6), on the real daemon: pause and
 * resume (kept across a restart), cancel one action, stuck, find, messages --ack and replies.
 */

describe('operator views on the running daemon', () => {
  // Some twenty tmon commands one after another and a restart: past jest's 30 s on a loaded 2-core machine.
  test('pause keeps a target from starting anything, across a restart; resume starts its work; status, stuck and the board say so', async () => {
    const { dir, home, t, stateOf, drop } = setup({ exit: 0 });
    let daemon = spawnDaemon(['--home', home]);
    try {
      await daemon.started();
      const paused = t('pause', 'HR', '--note', 'maintenance', '--json');
      expect(paused.status).toBe(0);
      expect(JSON.parse(paused.stdout)).toEqual({ paused: ['HR'] });
      // Applied by the running daemon, as the other operator commands.
      expect(readFileSync(join(home, 'logs', 'tmon.log'), 'utf8')).toContain('operator pause: HR');
      const again = t('pause', 'HR');
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/^tmon: target HR is already paused \(since [^\n]+\)\n$/);

      drop('p1.kvg', batchText('P-1', [
        { id: 'P-1_0', op: 'NOOP', host: 'HR', replyid: 'p0' },
        { id: 'P-1_1', op: 'NOOP', host: 'AD', replyid: 'p1' },
      ]));
      await waitFor('the AD action', async () => (await stateOf('P-1', 'P-1_1')) === 'succeeded');
      expect(await stateOf('P-1', 'P-1_0')).toBe('ready');
      expect(JSON.parse(t('stuck', '--json').stdout)).toEqual([
        expect.objectContaining({ batch: 'P-1', action: 'P-1_0', state: 'ready', hostid: 'HR', reason: 'paused', paused: true, text: expect.stringMatching(/^target HR is paused \(since /) }),
      ]);
      expect(t('status').stdout).toMatch(/\npaused targets: HR \(since [0-9-]+ [0-9:]+: maintenance\)\n$/);
      expect(JSON.parse(t('pause', '--json').stdout)).toEqual([{ hostid: 'HR', pausedAt: expect.stringMatching(/Z$/), note: 'maintenance' }]);

      // A restart keeps the pause: new work on other targets runs, HR's still waits.
      await stop(daemon);
      daemon = spawnDaemon(['--home', home]);
      await daemon.started();
      drop('p2.kvg', batchText('P-2', [{ id: 'P-2_0', op: 'NOOP', host: 'AD', replyid: 'p2' }]));
      await waitFor('P-2 after the restart', async () => (await stateOf('P-2', 'P-2_0')) === 'succeeded');
      expect(await stateOf('P-1', 'P-1_0')).toBe('ready');

      const resumed = t('resume', 'HR', '--json');
      expect(resumed.status).toBe(0);
      expect(JSON.parse(resumed.stdout)).toEqual({ resumed: ['HR'] });
      await waitFor('the HR action', async () => (await stateOf('P-1', 'P-1_0')) === 'succeeded');
      await waitFor('its reply file', () => outboxReplies(join(home, 'outbox')).some((r) => r.replyid === 'p0' && r.status === 'success'));
      expect(t('status').stdout).not.toContain('paused targets');
      expect(t('resume', 'HR').stderr).toBe('tmon: target HR is not paused\n');
      expect(t('pause').stdout).toBe('no paused targets\n');
      expect(t('stuck').stdout).toBe('nothing is stuck: every action is final\n');

      // The board: unread by default, --ack marks read, --all shows everything with its mark.
      const unread = JSON.parse(t('messages', '--json').stdout) as Array<{ seq: number; source: string; text: string; read: boolean }>;
      const ops = unread.filter((m) => m.source === 'operator').map((m) => [m.text, m.read]);
      expect(ops).toEqual([
        ['pause: target HR paused; it starts nothing new (maintenance)', false],
        ['resume: target HR resumed', false],
      ]);
      const first = unread.find((m) => m.source === 'operator')!.seq;
      expect(JSON.parse(t('messages', '--ack', String(first), '--json').stdout).acknowledged).toBeGreaterThanOrEqual(1);
      expect((JSON.parse(t('messages', '--json').stdout) as Array<{ text: string }>).map((m) => m.text)).toContain('resume: target HR resumed');
      expect((JSON.parse(t('messages', '--json').stdout) as Array<{ text: string }>).map((m) => m.text)).not.toContain('pause: target HR paused; it starts nothing new (maintenance)');
      expect(t('messages', '--ack', 'all').stdout).toMatch(/^acknowledged: \d+ message\(s\)\n$/);
      expect(t('messages').stdout).toBe('no messages\n');
      const all = JSON.parse(t('messages', '--all', '--json').stdout) as Array<{ read: boolean }>;
      expect(all.length).toBeGreaterThanOrEqual(2);
      expect(all.every((m) => m.read)).toBe(true);
      const bad = t('messages', '--ack', 'some');
      expect(bad.status).toBe(2);
      expect(bad.stderr.split('\n')[0]).toBe('tmon: --ack must be a message seq (1 or more) or "all", not "some"');
    } finally {
      await stop(daemon);
      dir.cleanup();
    }
  }, 90_000);

  test('cancel one action skips what waits on it and answers their replyids; stuck names the unmet dependency and the retry; replies --limit and --follow', async () => {
    const { dir, home, t, stateOf, drop } = setup({ exit: 75, retryMs: 3_600_000 });
    const daemon = spawnDaemon(['--home', home]);
    try {
      await daemon.started();
      drop('c1.kvg', batchText('C-1', [
        { id: 'C-1_0', op: 'NOOP', host: 'HR', user: 'ann', replyid: 'rc0' },
        { id: 'C-1_1', op: 'NOOP', host: 'AD', replyid: 'rc1', depends: ['C-1_0'] },
        { id: 'C-1_2', op: 'NOOP', host: 'AD', replyid: 'rc2', depends: ['C-1_1'] },
        { id: 'C-1_3', op: 'NOOP', host: 'AD', replyid: 'rc3' },
      ]));
      await waitFor('the retry', async () => (await stateOf('C-1', 'C-1_0')) === 'retrying' && (await stateOf('C-1', 'C-1_3')) === 'succeeded');
      drop('c2.kvg', batchText('C-2', [{ id: 'C-2_0', op: 'NOOP', host: 'AD', replyid: 'rx', depends: [{ batch: 'C-1', action: 'C-1_2' }] }]));
      await waitFor('C-2', async () => (await stateOf('C-2', 'C-2_0')) === 'waiting');

      const stuck = JSON.parse(t('stuck', '--json').stdout) as Array<Record<string, unknown>>;
      const by = Object.fromEntries(stuck.map((s) => [s.action, s]));
      expect(Object.keys(by)).toEqual(['C-1_0', 'C-1_1', 'C-1_2', 'C-2_0']);
      expect(by['C-1_0']).toMatchObject({ reason: 'retry', attempt: 1, maxAttempts: 5, nextAttemptAt: expect.any(String), text: expect.stringMatching(/^next retry at \S+ \(attempt 1 of 5 failed\), last error: .*HR system busy/) });
      expect(by['C-1_1']).toMatchObject({ reason: 'dependency', waitingOn: [{ batch: 'C-1', action: 'C-1_0', state: 'retrying' }] });
      expect(by['C-2_0']).toMatchObject({ reason: 'dependency', text: 'waits for action C-1_2 of batch C-1 (waiting)' });
      expect(t('stuck').stdout).toContain('waits for action C-1_0 of batch C-1 (retrying)');

      const r = t('cancel', 'C-1', 'C-1_0', '--note', 'withdrawn', '--json');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ canceled: ['C-1_0'], skipped: ['C-1_1', 'C-1_2', 'C-2_0 of batch C-2'] });
      expect(readFileSync(join(home, 'logs', 'tmon.log'), 'utf8')).toContain('operator cancel-action: C-1_0, C-1_1, C-1_2, C-2_0 of batch C-2');
      expect(await Promise.all(['C-1_0', 'C-1_1', 'C-1_2', 'C-1_3'].map((a) => stateOf('C-1', a)))).toEqual(['canceled', 'skipped', 'skipped', 'succeeded']);
      const replies = JSON.parse(t('replies', '--after', '0', '--json').stdout) as Array<{ seq: number; replyid: string; status: string; message: string }>;
      expect(replies.map((x) => [x.replyid, x.status, x.message])).toEqual([
        ['rc3', 'success', expect.any(String)],
        ['rc0', 'failure', 'canceled by an operator (withdrawn)'],
        ['rc1', 'failure', 'skipped: it waits for action C-1_0 of batch C-1, which was canceled'],
        ['rc2', 'failure', 'skipped: it waits for action C-1_1 of batch C-1, which skipped'],
        ['rx', 'failure', 'skipped: it waits for action C-1_2 of batch C-1, which skipped'],
      ]);
      await waitFor('the reply files', () => ['rc0', 'rc1', 'rc2', 'rx'].every((id) => outboxReplies(join(home, 'outbox')).some((x) => x.replyid === id)));
      const again = t('cancel', 'C-1', 'C-1_0');
      expect([again.status, again.stderr]).toEqual([1, 'tmon: action C-1_0 of batch C-1 is canceled; nothing is left to cancel\n']);
      expect(t('cancel', 'C-1', 'nope').stderr).toBe('tmon: no action nope in batch C-1\n');
      expect(t('stuck', '--json').stdout).toBe('[]\n');

      // --limit alone: the newest; with --after: the first after it.
      expect((JSON.parse(t('replies', '--limit', '2', '--json').stdout) as Array<{ seq: number }>).map((x) => x.seq)).toEqual(replies.slice(-2).map((x) => x.seq));
      expect((JSON.parse(t('replies', '--after', '0', '--limit', '1', '--json').stdout) as Array<{ seq: number }>).map((x) => x.seq)).toEqual([replies[0]!.seq]);

      // --follow from a cursor: what is after it, then each new reply, as JSON lines; SIGTERM ends it cleanly.
      const cursor = replies.at(-2)!.seq;
      const follower = spawn(process.execPath, [TMON, '--home', home, 'replies', '--after', String(cursor), '--follow'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      follower.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const ended = new Promise<number | null>((resolve) => follower.on('exit', (code) => resolve(code)));
      await waitFor('the reply after the cursor', () => out.includes('"rx"'));
      drop('c3.kvg', batchText('C-3', [{ id: 'C-3_0', op: 'NOOP', host: 'AD', replyid: 'rf' }]));
      await waitFor('the new reply', () => out.includes('"rf"'));
      follower.kill('SIGTERM');
      expect(await ended).toBe(0);
      const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; replyid: string; status: string });
      expect(lines.map((l) => [l.replyid, l.status])).toEqual([
        ['rx', 'failure'],
        ['rf', 'success'],
      ]);
      expect(lines[0]!.seq).toBeGreaterThan(cursor);
    } finally {
      await stop(daemon);
      dir.cleanup();
    }
  });

  test('find by user, replyid, target and request id, newest first; one key at a time', async () => {
    const { dir, home, t, stateOf, drop } = setup({ exit: 0 });
    const withRequest = (id: string, request: string, actions: ActionSpec[]) =>
      printKvg({
        type: '',
        name: '',
        members: [
          { type: 'request', name: '', members: [{ key: 'id', value: request }, { key: 'requester', value: 'jdoe' }] },
          { type: 'batch', name: id, members: actions.map((a) => actionGroup(id, a)) },
        ],
      });
    const daemon = spawnDaemon(['--home', home]);
    try {
      await daemon.started();
      drop('f1.kvg', withRequest('F-1', 'REQ-42', [
        { id: 'F-1_0', op: 'NOOP', host: 'AD', user: 'ann', replyid: 'f0' },
        { id: 'F-1_1', op: 'NOOP', host: 'HR', user: 'bob', replyid: 'f1' },
      ]));
      await waitFor('F-1', async () => (await stateOf('F-1', 'F-1_0')) === 'succeeded' && (await stateOf('F-1', 'F-1_1')) === 'succeeded');
      drop('f2.kvg', withRequest('F-2', 'REQ-421', [{ id: 'F-2_0', op: 'NOOP', host: 'AD', user: 'ann', replyid: 'f2' }]));
      await waitFor('F-2', async () => (await stateOf('F-2', 'F-2_0')) === 'succeeded');

      const find = (...args: string[]) => JSON.parse(t('find', ...args, '--json').stdout) as Array<Record<string, unknown>>;
      const ids = (xs: Array<Record<string, unknown>>) => xs.map((x) => `${String(x.batch)}/${String(x.action)}`);
      const ann = find('--user', 'ann');
      expect(ids(ann)).toEqual(['F-2/F-2_0', 'F-1/F-1_0']);
      expect(ann[0]).toEqual({ batch: 'F-2', action: 'F-2_0', state: 'succeeded', operation: 'NOOP', hostid: 'AD', userid: 'ann', replyid: 'f2', received: expect.stringMatching(/^\d{4}-.*Z$/), finished: expect.stringMatching(/^\d{4}-.*Z$/) });
      expect(ids(find('--user', 'ann', '--limit', '1'))).toEqual(['F-2/F-2_0']);
      expect(ids(find('--replyid', 'f1'))).toEqual(['F-1/F-1_1']);
      expect(ids(find('--host', 'HR'))).toEqual(['F-1/F-1_1']);
      expect(ids(find('--request', 'REQ-42'))).toEqual(['F-1/F-1_1', 'F-1/F-1_0']);
      expect(ids(find('--request', 'REQ-421'))).toEqual(['F-2/F-2_0']);
      expect(t('find', '--user', 'nobody').stdout).toBe('no actions found\n');
      expect(t('find', '--replyid', 'f1').stdout).toMatch(/^BATCH\s+ACTION\s+STATE\s+OP\s+HOST\s+USER\s+REPLYID\s+RECEIVED\s+FINISHED\nF-1\s+F-1_1\s+succeeded\s+NOOP\s+HR\s+bob\s+f1\s/);
      for (const args of [[], ['--user', 'ann', '--host', 'AD']]) {
        const bad = t('find', ...args);
        expect([bad.status, bad.stderr.split('\n')[0]]).toEqual([2, 'tmon: say exactly one of --user, --replyid, --host or --request']);
      }
    } finally {
      await stop(daemon);
      dir.cleanup();
    }
  });
});
