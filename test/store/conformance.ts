import type { RewriteDecision, Store } from '../../src/store/index.js';
import { newBatch, record, type ActionSpec } from '../helpers/batches.js';

/**
 * What every Store must do, whatever keeps the data. A new backend runs this suite against a
 * fresh store of its own; test/store/sqlite.test.ts runs it for SQLite.
 */
export function storeConformance(name: string, open: (options?: { repliesMode?: 'action' | 'tree' }) => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    /** Inserts a batch and runs the rewrite step as "run as submitted". */
    const accept = async (id: string, actions: ActionSpec[]) => {
      expect(await store.insertBatch(newBatch(id, actions))).toBe('inserted');
      const decisions: RewriteDecision[] = actions.map((a) => ({ primaryId: a.id, outcome: 'run', actions: [record(id, a)], message: '', board: null, source: 'test' }));
      return store.applyRewrite(id, decisions);
    };
    const claimAll = (max = 100) => store.claimRunnable(Date.now(), () => 100, max);
    const states = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.state]));
    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
    const bad = { state: 'failed' as const, retval: '7', message: 'refused by target' };

    test('a batch id again: the same content is a duplicate, other content a conflict', async () => {
      expect(await store.insertBatch(newBatch('B', [{ id: 'a' }]))).toBe('inserted');
      expect(await store.insertBatch(newBatch('B', [{ id: 'a' }]))).toBe('duplicate');
      expect(await store.insertBatch(newBatch('B', [{ id: 'a' }], 'other'))).toBe('conflict');
      expect((await store.listBatches()).map((b) => [b.id, b.state])).toEqual([['B', 'received']]);
    });

    test('knownActions answers for held actions only', async () => {
      await store.insertBatch(newBatch('B', [{ id: 'a' }]));
      const known = await store.knownActions([
        { batch: 'B', action: 'a' },
        { batch: 'B', action: 'z' },
        { batch: 'C', action: 'a' },
      ]);
      expect([...known]).toEqual(['B\u0000a']);
    });

    test('nothing runs before the rewrite step; then what waits for nothing is ready', async () => {
      await store.insertBatch(newBatch('B', [{ id: 'a' }, { id: 'b', depends: ['a'] }]));
      expect(await claimAll()).toEqual([]);
      expect(await store.batchesToRewrite(10)).toEqual([{ id: 'B', document: expect.any(String) }]);
      await store.applyRewrite('B', [
        { primaryId: 'a', outcome: 'run', actions: [record('B', { id: 'a' })], message: '', board: null, source: 'test' },
        { primaryId: 'b', outcome: 'run', actions: [record('B', { id: 'b', depends: ['a'] })], message: '', board: null, source: 'test' },
      ]);
      expect(await store.batchesToRewrite(10)).toEqual([]);
      expect(await states('B')).toEqual({ a: 'ready', b: 'waiting' });
    });

    test('success releases dependents; the batch succeeds when all did; replies once each', async () => {
      await accept('B', [{ id: 'a', replyid: 'ra' }, { id: 'b', depends: ['a'], replyid: 'rb' }]);
      const [first] = await claimAll();
      expect(first).toMatchObject({ batchId: 'B', id: 'a', attempt: 1, recovery: false });
      const fx = await store.completeAction('B', 'a', ok);
      expect(fx.replies.map((r) => [r.replyid, r.status])).toEqual([['ra', 'success']]);
      expect(await states('B')).toEqual({ a: 'succeeded', b: 'ready' });
      await claimAll();
      const last = await store.completeAction('B', 'b', ok);
      expect(last.events).toContainEqual(expect.objectContaining({ type: 'batch.completed', batch: 'B', state: 'succeeded' }));
      // Completing again changes nothing and replies nothing.
      expect((await store.completeAction('B', 'b', ok)).replies).toEqual([]);
      expect((await store.replies()).map((r) => [r.seq, r.replyid])).toEqual([
        [1, 'ra'],
        [2, 'rb'],
      ]);
    });

    test('failure skips every dependent, transitively, naming the failed one; the batch fails', async () => {
      await accept('B', [
        { id: 'a', replyid: 'ra' },
        { id: 'b', depends: ['a'], replyid: 'rb' },
        { id: 'c', depends: ['b'], replyid: 'rc' },
        { id: 'd' },
      ]);
      await claimAll();
      const fx = await store.completeAction('B', 'a', bad);
      expect(fx.replies.map((r) => [r.replyid, r.status, r.message])).toEqual([
        ['ra', 'failure', 'refused by target'],
        ['rb', 'failure', 'skipped: it waits for action a of batch B, which failed'],
        ['rc', 'failure', 'skipped: it waits for action b of batch B, which skipped'],
      ]);
      expect(await states('B')).toEqual({ a: 'failed', b: 'skipped', c: 'skipped', d: 'running' });
      const end = await store.completeAction('B', 'd', ok);
      expect(end.events).toContainEqual(expect.objectContaining({ type: 'batch.completed', state: 'failed' }));
    });

    test('a dependency on another batch waits for that batch', async () => {
      await accept('A', [{ id: 'a1' }]);
      await accept('B', [{ id: 'b1', depends: [{ batch: 'A', action: 'a1' }] }]);
      expect((await claimAll()).map((c) => c.id)).toEqual(['a1']);
      await store.completeAction('A', 'a1', ok);
      expect(await states('B')).toEqual({ b1: 'ready' });
    });

    test('claims: interactive first, then arrival order; never past a target capacity', async () => {
      await accept('B', [
        { id: 'n1', host: 'H1' },
        { id: 'n2', host: 'H1' },
        { id: 'i1', host: 'H1', interactive: true },
        { id: 'x1', host: 'H2' },
      ]);
      const capacity = (host: string, running: number) => (host === 'H1' ? 2 : 1) - running;
      const first = await store.claimRunnable(Date.now(), capacity, 10);
      expect(first.map((c) => c.id)).toEqual(['i1', 'n1', 'x1']);
      expect(await store.claimRunnable(Date.now(), capacity, 10)).toEqual([]);
      await store.completeAction('B', 'i1', ok);
      expect((await store.claimRunnable(Date.now(), capacity, 10)).map((c) => c.id)).toEqual(['n2']);
    });

    test('a retry waits for its time, then runs again with its attempt counted', async () => {
      await accept('B', [{ id: 'a' }]);
      await claimAll();
      const at = Date.now() + 60_000;
      const fx = await store.completeAction('B', 'a', { state: 'retrying', retval: '75', message: 'busy', nextAttemptAt: at });
      expect(fx.events.map((e) => e.type)).toEqual(['action.retrying']);
      expect(await store.nextRetryAt()).toBe(at);
      expect(await store.claimRunnable(at - 1, () => 10, 10)).toEqual([]);
      expect((await store.claimRunnable(at, () => 10, 10)).map((c) => c.attempt)).toEqual([2]);
    });

    test('recovery: actions left running run again, flagged', async () => {
      await accept('B', [{ id: 'a' }]);
      await claimAll();
      expect(await store.recoverRunning()).toBe(1);
      const [again] = await claimAll();
      expect(again).toMatchObject({ id: 'a', recovery: true, attempt: 2 });
    });

    test('rewrite decisions: fail, removed, and replaced by fanned-out actions', async () => {
      await store.insertBatch(newBatch('B', [{ id: 'p1', replyid: 'r1' }, { id: 'p2', replyid: 'r2' }, { id: 'p3', replyid: 'r3' }, { id: 'w', depends: ['p1'] }]));
      const fx = await store.applyRewrite('B', [
        { primaryId: 'p1', outcome: 'fail', actions: [], message: 'plugin output breaks a rule', board: 'error', source: 'plugin' },
        { primaryId: 'p2', outcome: 'removed', actions: [], message: 'removed by plugin', board: 'info', source: 'plugin' },
        { primaryId: 'p3', outcome: 'run', actions: [{ ...record('B', { id: 'p3.1' }), primaryId: 'p3' }], message: 'fanned', board: null, source: 'plugin' },
        { primaryId: 'w', outcome: 'run', actions: [record('B', { id: 'w', depends: ['p1'] })], message: '', board: null, source: 'plugin' },
      ]);
      expect(fx.replies.map((r) => [r.replyid, r.status])).toEqual([
        ['r1', 'failure'],
        ['r2', 'success'],
        ['r3', 'success'],
      ]);
      expect(await states('B')).toEqual({ p1: 'failed', p2: 'succeeded', p3: 'succeeded', 'p3.1': 'ready', w: 'skipped' });
      expect((await store.messages()).map((m) => [m.level, m.action, m.text])).toEqual([
        ['error', 'p1', 'plugin output breaks a rule'],
        ['info', 'p2', 'removed by plugin'],
      ]);
    });

    test('replies are mirrored once: unmirrored until marked', async () => {
      await accept('B', [{ id: 'a', replyid: 'ra' }]);
      await claimAll();
      await store.completeAction('B', 'a', ok);
      const pending = await store.unmirroredReplies();
      expect(pending.map((r) => r.replyid)).toEqual(['ra']);
      await store.markMirrored(pending.map((r) => r.seq));
      expect(await store.unmirroredReplies()).toEqual([]);
    });

    test('the simulated directory is transactional per target', async () => {
      await store.withDirectory('H', (d) => d.putGroup('g'));
      await expect(
        store.withDirectory('H', (d) => {
          d.deleteGroup('g');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await store.withDirectory('H', (d) => d.hasGroup('g'))).toBe(true);
    });

    test('tallies count actions by state, operation and target, and batches by state', async () => {
      expect(await store.tallies()).toEqual({ actions: [], batches: [] });
      await accept('B', [
        { id: 'a', op: 'NOOP', host: 'H1' },
        { id: 'b', op: 'NOOP', host: 'H1' },
        { id: 'c', op: 'LOCK', host: 'H2', depends: ['a'] },
      ]);
      await store.insertBatch(newBatch('C', [{ id: 'x' }]));
      const [first] = await claimAll(1);
      await store.completeAction('B', first!.id, ok);
      const t = await store.tallies();
      const sort = <T>(xs: T[]) => [...xs].sort((p, q) => JSON.stringify(p).localeCompare(JSON.stringify(q)));
      expect(sort(t.batches)).toEqual(sort([{ state: 'running', count: 1 }, { state: 'received', count: 1 }]));
      const held = t.actions.reduce((n, a) => n + a.count, 0);
      expect(held).toBe(4);
      expect(t.actions).toContainEqual({ state: 'succeeded', operation: 'NOOP', hostid: 'H1', count: 1 });
      expect(t.actions.find((a) => a.operation === 'LOCK')).toEqual({ state: first!.id === 'a' ? 'ready' : 'waiting', operation: 'LOCK', hostid: 'H2', count: 1 });
    });
  });

  describe(`Store conformance: ${name}, replies in tree mode`, () => {
    test('a primary is answered once it and all it led to are final; failure if any of it failed', async () => {
      const { store, close } = await open({ repliesMode: 'tree' });
      try {
        await store.insertBatch(newBatch('B', [{ id: 'p', replyid: 'rp' }]));
        await store.applyRewrite('B', [
          {
            primaryId: 'p',
            outcome: 'run',
            actions: [record('B', { id: 'p', replyid: 'rp' }), { ...record('B', { id: 'p.1', depends: ['p'] }), primaryId: 'p' }, { ...record('B', { id: 'p.2', depends: ['p.1'] }), primaryId: 'p' }],
            message: '',
            board: null,
            source: 'test',
          },
        ]);
        const step = async (id: string, result: { state: 'succeeded' | 'failed'; retval: string; message: string }) => {
          await store.claimRunnable(Date.now(), () => 10, 10);
          return (await store.completeAction('B', id, result)).replies;
        };
        expect(await step('p', { state: 'succeeded', retval: '0', message: 'ok' })).toEqual([]);
        expect(await step('p.1', { state: 'failed', retval: '3', message: 'no such group' })).toEqual([
          expect.objectContaining({ replyid: 'rp', status: 'failure', message: 'action p.1 failed: no such group; action p.2 skipped: it waits for action p.1 of batch B, which failed' }),
        ]);
      } finally {
        await close();
      }
    });
  });
}
