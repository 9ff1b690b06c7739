import type { Store } from '../../src/store/index.js';
import { newBatch, record, type ActionSpec } from '../helpers/batches.js';

/**
 * The operator views and the per-action / per-target commands (issue 15 items 5-6), as every
 * Store must answer them. Kept beside conformance.ts, and run for each backend the same way.
 */
export function storeViewsConformance(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`Store conformance: ${name}, operator views`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    const accept = async (id: string, actions: ActionSpec[], request?: string) => {
      const b = newBatch(id, actions);
      if (request !== undefined) b.context.members.push({ type: 'request', name: '', members: [{ key: 'id', value: request }, { key: 'by', value: 'helpdesk' }] });
      expect((await store.insertBatch(b)).result).toBe('inserted');
    };
    const claimAll = () => store.claimRunnable(Date.now(), () => 100, 100);
    const states = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.state]));
    const bad = { state: 'failed' as const, retval: '7', message: 'refused by target' };

    test('cancelAction cancels one waiting action, skips what waits on it with the reason and answers their replyids; refuses running and final ones', async () => {
      await accept('B', [
        { id: 'a', replyid: 'ra' },
        { id: 'b', replyid: 'rb', depends: ['a'] },
        { id: 'c', replyid: 'rc', depends: ['b'] },
        { id: 'd', replyid: 'rd' },
      ]);
      await accept('C', [{ id: 'x', replyid: 'rx', depends: [{ batch: 'B', action: 'c' }] }]);
      const claimed = await store.claimRunnable(Date.now(), () => 100, 1);
      expect(claimed.map((c) => c.id)).toEqual(['a']);
      expect(await store.cancelAction('B', 'a', '')).toEqual({ ok: false, reason: 'action a of batch B is running; it cannot be canceled until it ends' });
      const r = await store.cancelAction('B', 'b', 'not needed');
      expect(r.ok && r.actions).toEqual(['b', 'c', 'x of batch C']);
      expect(r.ok && r.effects.replies.map((x) => [x.replyid, x.status, x.message])).toEqual([
        ['rb', 'failure', 'canceled by an operator (not needed)'],
        ['rc', 'failure', 'skipped: it waits for action b of batch B, which was canceled'],
        ['rx', 'failure', 'skipped: it waits for action c of batch B, which skipped'],
      ]);
      expect(await states('B')).toEqual({ a: 'running', b: 'canceled', c: 'skipped', d: 'ready' });
      expect(await store.cancelAction('B', 'b', '')).toEqual({ ok: false, reason: 'action b of batch B is canceled; nothing is left to cancel' });
      expect(await store.cancelAction('B', 'zz', '')).toEqual({ ok: false, reason: 'no action zz in batch B' });
      expect((await store.boardMessages()).at(-1)).toMatchObject({ source: 'operator', batch: 'B', action: 'b', text: 'cancel: action b canceled; skipped: c, x of batch C (not needed)', read: false });
      // A batch one of whose actions an operator canceled did not succeed, however the rest ended.
      await store.completeAction('B', 'a', { state: 'succeeded', retval: '0', message: 'done' });
      for (const c of await claimAll()) await store.completeAction('B', c.id, { state: 'succeeded', retval: '0', message: 'done' });
      expect(await states('B')).toEqual({ a: 'succeeded', b: 'canceled', c: 'skipped', d: 'succeeded' });
      expect((await store.listBatches()).map((x) => [x.id, x.state]).sort()).toEqual([
        ['B', 'failed'],
        ['C', 'failed'],
      ]);
      await accept('D', [{ id: 'only' }, { id: 'other' }]);
      await store.cancelAction('D', 'only', '');
      for (const c of await claimAll()) await store.completeAction('D', c.id, { state: 'succeeded', retval: '0', message: 'done' });
      expect((await store.batchDetail('D'))!.state).toBe('failed');
    });

    test('a paused target starts nothing new until resumed; the pause is listed and refused twice', async () => {
      await accept('B', [
        { id: 'a', host: 'HR' },
        { id: 'b', host: 'AD' },
      ]);
      expect(await store.pauseHost('HR', 'maintenance')).toMatchObject({ ok: true, actions: ['HR'] });
      expect(await store.pauseHost('HR', '')).toMatchObject({ ok: false, reason: expect.stringMatching(/^target HR is already paused \(since /) });
      expect((await store.pausedHosts()).map((p) => [p.hostid, p.note])).toEqual([['HR', 'maintenance']]);
      expect((await claimAll()).map((c) => c.id)).toEqual(['b']);
      expect((await claimAll()).map((c) => c.id)).toEqual([]);
      // A retry on a paused target is not due: the engine is not woken for it until the resume.
      await store.pauseHost('AD', '');
      await store.completeAction('B', 'b', { state: 'retrying', retval: '75', message: 'busy', nextAttemptAt: Date.now() - 1 });
      expect(await store.nextRetryAt()).toBeNull();
      expect(await store.resumeHost('AD', '')).toMatchObject({ ok: true });
      expect(await store.nextRetryAt()).toEqual(expect.any(Number));
      expect((await claimAll()).map((c) => c.id)).toEqual(['b']);
      expect(await store.resumeHost('HR', '')).toMatchObject({ ok: true, actions: ['HR'] });
      expect(await store.resumeHost('HR', '')).toEqual({ ok: false, reason: 'target HR is not paused' });
      expect(await store.pausedHosts()).toEqual([]);
      expect((await claimAll()).map((c) => c.id)).toEqual(['a']);
    });

    test('findActions by user, replyid, host and request id, newest batch first, within the limit', async () => {
      await accept('OLD', [{ id: 'o1', user: 'ann', host: 'HR', replyid: 'r-o1' }], 'REQ-1');
      await accept('NEW', [
        { id: 'n1', user: 'ann', host: 'AD', replyid: 'r-n1' },
        { id: 'n2', user: 'bob', host: 'HR', replyid: 'r-n2' },
      ], 'REQ-10');
      const ids = (xs: Array<{ batch: string; action: string }>) => xs.map((x) => `${x.batch}/${x.action}`);
      expect(ids(await store.findActions({ user: 'ann' }))).toEqual(['NEW/n1', 'OLD/o1']);
      expect(ids(await store.findActions({ user: 'ann' }, 1))).toEqual(['NEW/n1']);
      expect(ids(await store.findActions({ host: 'HR' }))).toEqual(['NEW/n2', 'OLD/o1']);
      expect(await store.findActions({ replyid: 'r-n2' })).toEqual([
        { batch: 'NEW', action: 'n2', state: 'ready', operation: 'NOOP', hostid: 'HR', userid: 'bob', replyid: 'r-n2', receivedAt: expect.any(Number), finishedAt: null },
      ]);
      // REQ-1 is a prefix of REQ-10: only the exact id matches.
      expect(ids(await store.findActions({ request: 'REQ-1' }))).toEqual(['OLD/o1']);
      expect(ids(await store.findActions({ request: 'REQ-10' }))).toEqual(['NEW/n2', 'NEW/n1']);
      expect(await store.findActions({ request: 'REQ-%' })).toEqual([]);
      expect(await store.findActions({ user: 'nobody' })).toEqual([]);
    });

    test('stuckActions says why each unfinished action waits: dependency, retry, paused, running, ready', async () => {
      await accept('B', [
        { id: 'a', host: 'H1' },
        { id: 'b', host: 'H1', depends: ['a'] },
        { id: 'c', host: 'HR' },
        { id: 'd', host: 'H2' },
      ]);
      await store.pauseHost('HR', '');
      const claimed = await claimAll();
      expect(claimed.map((c) => c.id).sort()).toEqual(['a', 'd']);
      const due = Date.now() + 3_600_000;
      await store.completeAction('B', 'd', { state: 'retrying', retval: '75', message: 'busy', nextAttemptAt: due });
      const stuck = await store.stuckActions();
      const by = Object.fromEntries(stuck.map((s) => [s.action, s]));
      expect(stuck.map((s) => s.action)).toEqual(['a', 'b', 'c', 'd']);
      expect(by.a).toMatchObject({ reason: 'running', state: 'running', attempt: 1, startedAt: expect.any(Number), text: expect.stringMatching(/^running since .* \(attempt 1\)$/) });
      expect(by.b).toMatchObject({ reason: 'dependency', waitingOn: [{ batch: 'B', action: 'a', state: 'running' }], text: 'waits for action a of batch B (running)' });
      expect(by.c).toMatchObject({ reason: 'paused', paused: true, text: expect.stringMatching(/^target HR is paused \(since /) });
      expect(by.d).toMatchObject({ reason: 'retry', nextAttemptAt: due, lastError: 'busy', text: `next retry at ${new Date(due).toISOString()} (attempt 1 failed), last error: busy` });
      await store.completeAction('B', 'a', bad);
      expect((await store.stuckActions()).map((s) => s.action)).toEqual(['c', 'd']);
    });

    test('stuckActions and the rewrite step: claimed for its rewrite, held for a plugin that cannot be used, a removed primary waiting for what it fanned out', async () => {
      await accept('B', [{ id: 'p1' }, { id: 'p2' }, { id: 'p3' }]);
      expect((await store.claimRunnable(Date.now(), () => 10, 10, true)).map((c) => c.id)).toEqual(['p1', 'p2', 'p3']);
      expect((await store.stuckActions()).map((s) => [s.action, s.reason])).toEqual([
        ['p1', 'rewrite'],
        ['p2', 'rewrite'],
        ['p3', 'rewrite'],
      ]);
      const decision = (primaryId: string, outcome: 'hold' | 'replace', actions: ReturnType<typeof record>[], message: string) => ({ batchId: 'B', primaryId, outcome, actions, message, board: null, source: 'test' });
      await store.applyRewrites([decision('p1', 'hold', [], 'plugin p cannot be used: it did not load'), decision('p2', 'replace', [{ ...record('B', { id: 'p2.1' }), primaryId: 'p2', plugin: 'p' }], '')], 60_000);
      const by = Object.fromEntries((await store.stuckActions()).map((s) => [s.action, s]));
      expect(by.p1).toMatchObject({ state: 'retrying', reason: 'held', text: expect.stringMatching(/^waiting for its rewrite: plugin p cannot be used: it did not load; looked at again at \S+$/) });
      expect(by.p2).toMatchObject({ state: 'waiting', reason: 'fanned', waitingOn: [{ batch: 'B', action: 'p2.1', state: 'ready' }] });
      expect(by['p2.1']).toMatchObject({ reason: 'ready' });
      expect(by.p3).toMatchObject({ state: 'running', reason: 'rewrite', text: expect.stringMatching(/^its plugin is rewriting it since /) });
    });

    test('boardMessages shows unread ones unless all; ackMessages marks up to a seq, or all', async () => {
      for (const text of ['one', 'two', 'three']) await store.postMessage({ level: 'info', source: 'test', batch: null, action: null, text });
      const all = await store.boardMessages();
      expect(all.map((m) => [m.text, m.read])).toEqual([
        ['one', false],
        ['two', false],
        ['three', false],
      ]);
      expect(await store.ackMessages(all[1]!.seq)).toBe(2);
      expect((await store.boardMessages()).map((m) => m.text)).toEqual(['three']);
      expect((await store.boardMessages({ all: true })).map((m) => [m.text, m.read])).toEqual([
        ['one', true],
        ['two', true],
        ['three', false],
      ]);
      expect(await store.ackMessages('all')).toBe(1);
      expect(await store.boardMessages()).toEqual([]);
    });

    test('latestReplies: the newest N, in seq order', async () => {
      await accept('B', [
        { id: 'a', replyid: 'r1' },
        { id: 'b', replyid: 'r2' },
        { id: 'c', replyid: 'r3' },
      ]);
      for (const c of await claimAll()) await store.completeAction('B', c.id, bad);
      const seqs = (await store.replies()).map((r) => r.seq);
      expect((await store.latestReplies(2)).map((r) => r.seq)).toEqual(seqs.slice(1));
      expect((await store.latestReplies(10)).map((r) => r.seq)).toEqual(seqs);
    });
  });
}
