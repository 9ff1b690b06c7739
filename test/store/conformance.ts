import type { RewriteDecision, Store } from '../../src/store/index.js';
import { newBatch, record, type ActionSpec } from '../helpers/batches.js';
import { retentionConformance } from './conformance-retention.js';

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

    /** Inserts a batch (no plugin: its actions run as submitted). */
    const accept = async (id: string, actions: ActionSpec[]) => {
      const { result, effects } = await store.insertBatch(newBatch(id, actions));
      expect(result).toBe('inserted');
      return effects;
    };
    /** A rewrite decision for a claimed primary. */
    const decide = (batchId: string, primaryId: string, outcome: RewriteDecision['outcome'], actions: RewriteDecision['actions'] = [], message = ''): RewriteDecision => ({
      batchId,
      primaryId,
      outcome,
      actions,
      message,
      board: null,
      source: 'test',
    });
    const fanned = (batch: string, primary: string, a: ActionSpec) => ({ ...record(batch, a), primaryId: primary, plugin: 'p' });
    const claimAll = (max = 100) => store.claimRunnable(Date.now(), () => 100, max);
    const states = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.state]));
    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
    const bad = { state: 'failed' as const, retval: '7', message: 'refused by target' };

    test('a batch id again: the same content is a duplicate, other content a conflict', async () => {
      expect((await store.insertBatch(newBatch('B', [{ id: 'a' }]))).result).toBe('inserted');
      const again = await store.insertBatch(newBatch('B', [{ id: 'a' }]));
      expect(again.result).toBe('duplicate');
      expect(again.effects.events.map((e) => e.type)).toEqual(['batch.resubmitted']);
      expect((await store.insertBatch(newBatch('B', [{ id: 'a' }], 'other'))).result).toBe('conflict');
      expect((await store.listBatches()).map((b) => [b.id, b.state])).toEqual([['B', 'received']]);
    });

    test('a replyid is held once across the store: another batch using it is refused, naming the holder', async () => {
      await accept('A', [{ id: 'a', replyid: 'R1' }]);
      expect(await store.replyidHolders('B', ['R1', 'R2', ''])).toEqual(new Map([['R1', 'A']]));
      expect(await store.replyidHolders('A', ['R1'])).toEqual(new Map());
      await expect(store.insertBatch(newBatch('B', [{ id: 'b', replyid: 'R1' }]))).rejects.toMatchObject({
        code: 'BATCH_REPLYID_TAKEN',
        message: expect.stringContaining('replyid "R1" is already held by batch A'),
      });
      expect((await store.listBatches()).map((b) => b.id)).toEqual(['A']);
    });

    test('insertBatches: several batches in one transaction, a refused one leaving the others stored; openActions counts what is unfinished', async () => {
      await accept('A', [{ id: 'a', replyid: 'R1' }]);
      const results = await store.insertBatches([newBatch('B', [{ id: 'b1' }, { id: 'b2', depends: ['b1'] }]), newBatch('C', [{ id: 'c', replyid: 'R1' }]), newBatch('A', [{ id: 'a', replyid: 'R1' }])]);
      expect(results.map((r) => (r.ok ? r.outcome.result : (r.error as { code: string }).code))).toEqual(['inserted', 'BATCH_REPLYID_TAKEN', 'duplicate']);
      expect((await store.listBatches()).map((b) => b.id).sort()).toEqual(['A', 'B']);
      expect(await store.openActions()).toBe(3);
      await claimAll();
      await store.completeAction('A', 'a', ok);
      expect(await store.openActions()).toBe(2);
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

    test('what waits for nothing is ready at arrival; with a plugin it is claimed for its rewrite first, untried', async () => {
      await accept('B', [{ id: 'a' }, { id: 'b', depends: ['a'] }]);
      expect(await states('B')).toEqual({ a: 'ready', b: 'waiting' });
      const [claim] = await store.claimRunnable(Date.now(), () => 10, 10, true);
      expect(claim).toMatchObject({ id: 'a', primaryId: 'a', rewrite: true, attempt: 0, context: { members: [{ type: 'batch', name: 'B' }] } });
      expect((await store.listBatches())[0]!.state).toBe('running');
      // The plugin left it as it was: ready again, rewritten; claimed for its connector, first try counted.
      await store.applyRewrites([decide('B', 'a', 'run')]);
      // Stale decisions (not claimed for a rewrite) change nothing.
      await store.applyRewrites([decide('B', 'b', 'fail')]);
      expect(await states('B')).toEqual({ a: 'ready', b: 'waiting' });
      expect(await store.claimRunnable(Date.now(), () => 10, 10, true)).toEqual([expect.objectContaining({ id: 'a', rewrite: false, attempt: 1 })]);
    });

    test('a primary at its plugin holds no slot of its target: rewrites run ahead while the target is full', async () => {
      await accept('B', [{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
      const one = () => 1;
      expect((await store.claimRunnable(Date.now(), (h, busy) => one() - busy, 10, true)).map((c) => [c.id, c.rewrite])).toEqual([
        ['a', true],
        ['b', true],
        ['c', true],
      ]);
      await store.applyRewrites([decide('B', 'a', 'run'), decide('B', 'b', 'run'), decide('B', 'c', 'run')]);
      // Rewritten, they wait for the target's room: one at a time.
      expect((await store.claimRunnable(Date.now(), (h, busy) => one() - busy, 10, true)).map((c) => [c.id, c.rewrite])).toEqual([['a', false]]);
      expect(await store.claimRunnable(Date.now(), (h, busy) => one() - busy, 10, true)).toEqual([]);
      await store.completeAction('B', 'a', ok);
      expect((await store.claimRunnable(Date.now(), (h, busy) => one() - busy, 10, true)).map((c) => c.id)).toEqual(['b']);
    });

    test('a dependency on an action that already failed skips the new action at arrival', async () => {
      await accept('A', [{ id: 'a', replyid: 'ra' }]);
      await claimAll();
      await store.completeAction('A', 'a', bad);
      const effects = await accept('B', [{ id: 'b', replyid: 'rb', depends: [{ batch: 'A', action: 'a' }] }]);
      expect(effects.replies.map((r) => [r.replyid, r.status, r.message])).toEqual([['rb', 'failure', 'skipped: it waits for action a of batch A, which failed']]);
      expect(effects.events).toContainEqual(expect.objectContaining({ type: 'batch.completed', batch: 'B', state: 'failed' }));
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

    test('rewrite decisions: fail, removed, hold, and replaced by fanned-out actions', async () => {
      await accept('B', [{ id: 'p1', replyid: 'r1' }, { id: 'p2', replyid: 'r2' }, { id: 'p3', replyid: 'r3' }, { id: 'p4' }, { id: 'w', depends: ['p1'] }]);
      expect((await store.claimRunnable(Date.now(), () => 10, 10, true)).map((c) => c.id)).toEqual(['p1', 'p2', 'p3', 'p4']);
      const fx = await store.applyRewrites(
        [
          { ...decide('B', 'p1', 'fail', [], 'plugin output breaks a rule'), board: 'error' },
          { ...decide('B', 'p2', 'removed', [], 'removed by plugin'), board: 'info' },
          decide('B', 'p3', 'replace', [{ ...record('B', { id: 'p3', op: 'DNAU', replyid: 'r3' }), plugin: 'p' }, fanned('B', 'p3', { id: 'p3.1', depends: ['p3'] })]),
          { ...decide('B', 'p4', 'hold', [], 'plugin p cannot be used'), board: 'error' },
        ],
        60_000,
      );
      expect(fx.effects.replies.map((r) => [r.replyid, r.status])).toEqual([
        ['r1', 'failure'],
        ['r2', 'success'],
      ]);
      expect(await states('B')).toEqual({ p1: 'failed', p2: 'succeeded', p3: 'ready', 'p3.1': 'waiting', p4: 'retrying', w: 'skipped' });
      const detail = (await store.batchDetail('B'))!;
      expect(detail.actions.find((a) => a.id === 'p3')).toMatchObject({ operation: 'DNAU', plugin: 'p' });
      expect(detail.actions.find((a) => a.id === 'p4')).toMatchObject({ lastError: 'plugin p cannot be used' });
      expect(await store.nextRetryAt()).toBeGreaterThan(Date.now() + 50_000);
      // The rewritten primary runs without another rewrite; its fanned action after it.
      expect((await store.claimRunnable(Date.now(), () => 10, 10, true)).map((c) => [c.id, c.rewrite])).toEqual([['p3', false]]);
      await store.completeAction('B', 'p3', ok);
      expect((await store.claimRunnable(Date.now(), () => 10, 10, true)).map((c) => [c.id, c.rewrite])).toEqual([['p3.1', false]]);
      expect((await store.messages()).map((m) => [m.level, m.action, m.text])).toEqual([
        ['error', 'p1', 'plugin output breaks a rule'],
        ['info', 'p2', 'removed by plugin'],
        ['error', 'p4', 'plugin p cannot be used'],
      ]);
      expect((await store.batchMessages('B')).map((m) => m.action)).toEqual(['p1', 'p2', 'p4']);
      expect(await store.batchMessages('OTHER')).toEqual([]);
    });

    test('a removed primary that fanned out answers once all of it is final, naming each failure', async () => {
      await accept('B', [{ id: 'p', replyid: 'rp' }, { id: 'after', depends: ['p'] }]);
      await store.claimRunnable(Date.now(), () => 10, 10, true);
      const fx = await store.applyRewrites([decide('B', 'p', 'replace', [fanned('B', 'p', { id: 'f1' }), fanned('B', 'p', { id: 'f2' }), fanned('B', 'p', { id: 'f3', depends: ['f2'] })])]);
      expect(fx.effects.replies).toEqual([]);
      expect(await states('B')).toEqual({ p: 'waiting', after: 'waiting', f1: 'ready', f2: 'ready', f3: 'waiting' });
      await claimAll();
      expect((await store.completeAction('B', 'f2', bad)).replies).toEqual([]);
      const last = await store.completeAction('B', 'f1', ok);
      expect(last.replies).toEqual([
        expect.objectContaining({
          replyid: 'rp',
          status: 'failure',
          message: expect.stringContaining('action f2 failed: refused by target; action f3 skipped: it waits for action f2 of batch B, which failed'),
        }),
      ]);
      expect(await states('B')).toMatchObject({ p: 'failed', after: 'skipped' });
    });

    test('outputs that clash with held ids, name unknown actions or wait in a circle fail their primary', async () => {
      await accept('B', [{ id: 'a' }, { id: 'b' }, { id: 'c', depends: ['b'] }]);
      await store.claimRunnable(Date.now(), () => 10, 10, true);
      await store.applyRewrites([
        decide('B', 'a', 'replace', [fanned('B', 'a', { id: 'c' })]),
        decide('B', 'b', 'replace', [{ ...record('B', { id: 'b', depends: ['c'] }), plugin: 'p' }]),
      ]);
      const detail = (await store.batchDetail('B'))!;
      const err = Object.fromEntries(detail.actions.map((x) => [x.id, x.lastError]));
      expect(err.a).toBe('action a: the plugin output reuses action id c, already held by a submitted action; action failed');
      expect(err.b).toBe('action b: the rewritten batch has a dependency cycle: b -> c -> b; action failed');
    });

    test('a claim for a rewrite that could not be made goes back to the queue as it was', async () => {
      await accept('B', [{ id: 'a' }]);
      const [claim] = await store.claimRunnable(Date.now(), () => 10, 10, true);
      await store.releaseRewrites([{ batchId: 'B', id: claim!.id }]);
      expect(await store.claimRunnable(Date.now(), () => 10, 10, true)).toEqual([expect.objectContaining({ id: 'a', rewrite: true })]);
      // A daemon killed during a rewrite: the action is rewritten again, not flagged as a recovery.
      expect(await store.recoverRunning()).toBe(1);
      expect(await store.claimRunnable(Date.now(), () => 10, 10, true)).toEqual([expect.objectContaining({ id: 'a', rewrite: true, recovery: false })]);
    });

    test('recovery: a rewritten primary found running goes through its plugin again, flagged; a fanned one runs again as written', async () => {
      await accept('B', [{ id: 'p', op: 'DELU' }, { id: 'q', op: 'DELU' }]);
      await store.claimRunnable(Date.now(), () => 10, 10, true);
      const output = (id: string) => [{ ...record('B', { id, op: 'DNAU' }), plugin: 'p' }, fanned('B', id, { id: `${id}.1`, op: 'GRUD', depends: [id] })];
      await store.applyRewrites([decide('B', 'p', 'replace', output('p')), decide('B', 'q', 'replace', output('q'))]);
      await claimAll();
      await store.completeAction('B', 'q', ok);
      await claimAll();
      // The daemon dies with p (the rewritten primary) and q.1 (a fanned action) running.
      expect(await states('B')).toEqual({ p: 'running', 'p.1': 'waiting', q: 'succeeded', 'q.1': 'running' });
      expect(await store.recoverRunning()).toBe(2);
      expect(await states('B')).toEqual({ p: 'ready', q: 'succeeded', 'q.1': 'ready' });
      const again = await store.claimRunnable(Date.now(), () => 10, 10, true);
      expect(again.map((c) => [c.id, c.rewrite, c.operation, c.recovery])).toEqual([
        ['p', true, 'DELU', true],
        ['q.1', false, 'GRUD', true],
      ]);
      await store.applyRewrites([decide('B', 'p', 'replace', output('p'))]);
      expect(await store.claimRunnable(Date.now(), () => 10, 10, true)).toEqual([expect.objectContaining({ id: 'p', rewrite: false, operation: 'DNAU', recovery: true })]);
    });

    test('poison breaker: an action the daemon died on twice at its plugin fails instead of a third try', async () => {
      await accept('B', [{ id: 'a', replyid: 'ra' }]);
      await store.claimRunnable(Date.now(), () => 10, 10, true);
      expect(await store.recoverRunning()).toBe(1);
      await store.claimRunnable(Date.now(), () => 10, 10, true);
      expect(await store.recoverRunning()).toBe(1);
      expect(await states('B')).toEqual({ a: 'failed' });
      expect((await store.batchDetail('B'))!.actions[0]!.lastError).toBe('the daemon died 2 times while this action was at its plugin; action failed rather than tried again');
      expect((await store.replies()).map((r) => [r.replyid, r.status])).toEqual([['ra', 'failure']]);
    });

    test('retry: a unit whose primary failed goes through the rewrite again from what was submitted', async () => {
      await accept('B', [{ id: 'p', op: 'DELU', replyid: 'rp' }, { id: 'w', depends: ['p'] }]);
      await store.claimRunnable(Date.now(), () => 10, 10, true);
      await store.applyRewrites([decide('B', 'p', 'replace', [{ ...record('B', { id: 'p', op: 'DNAU', replyid: 'rp' }), plugin: 'p' }, fanned('B', 'p', { id: 'g1' })])]);
      await claimAll();
      await store.completeAction('B', 'g1', ok);
      await store.completeAction('B', 'p', bad);
      expect(await states('B')).toEqual({ p: 'failed', w: 'skipped', g1: 'succeeded' });
      const r = await store.retryAction('B', 'p', 'fixed');
      expect(r).toMatchObject({ ok: true, actions: ['p', 'w'] });
      if (r.ok) expect(r.effects.events.map((e) => e.type)).toContain('action.retried');
      // The submitted DELU is back, to be rewritten; what already succeeded stays done.
      const [again] = await store.claimRunnable(Date.now(), () => 10, 10, true);
      expect(again).toMatchObject({ id: 'p', rewrite: true, operation: 'DELU' });
      await store.applyRewrites([decide('B', 'p', 'replace', [{ ...record('B', { id: 'p', op: 'DNAU', replyid: 'rp' }), plugin: 'p' }, fanned('B', 'p', { id: 'g1' })])]);
      expect(await states('B')).toEqual({ p: 'ready', w: 'waiting', g1: 'succeeded' });
      const [run] = await claimAll();
      expect(run).toMatchObject({ id: 'p', operation: 'DNAU', attempt: 1 });
      expect((await store.retryAction('B', 'w', '')).ok).toBe(false);
    });

    test('cancel: everything not running nor final is canceled, replies say so', async () => {
      await accept('B', [{ id: 'a' }, { id: 'b', replyid: 'rb' }]);
      await store.claimRunnable(Date.now(), () => 10, 1);
      const r = await store.cancelBatch('B', 'not needed');
      expect(r).toMatchObject({ ok: true, actions: ['b'] });
      if (r.ok) expect(r.effects.replies.map((x) => [x.replyid, x.status, x.message])).toEqual([['rb', 'failure', 'canceled by an operator (not needed)']]);
      expect(await states('B')).toEqual({ a: 'running', b: 'canceled' });
      expect(await store.findAction('b')).toEqual(['B']);
      expect((await store.cancelBatch('B', '')).ok).toBe(false);
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

    test("a store's own replies are never adopted as another daemon's", async () => {
      await accept('B', [{ id: 'a', replyid: 'ra' }]);
      await claimAll();
      await store.completeAction('B', 'a', ok);
      expect(await store.adoptOrphanReplies()).toEqual([]);
      expect((await store.unmirroredReplies()).map((r) => r.replyid)).toEqual(['ra']);
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

    test('the simulated directory with a scope: the accounts and groups it names are there to read and change', async () => {
      const acct = { accountid: 'a', fname: '', enabled: true, locked: false, passwordExpired: false, context: '', groups: [], attributes: {}, passwordChanges: 0 };
      await store.withDirectory('H', (d) => (d.putAccount('u1', acct), d.putAccount('u2', acct), d.putGroup('g')));
      const scope = { users: ['u1', 'nobody'], groups: ['g'] };
      expect(await store.withDirectory('H', (d) => [d.account('u1')?.accountid, d.account('nobody'), d.hasGroup('g')], scope)).toEqual(['a', undefined, true]);
      await store.withDirectory('H', (d) => d.putAccount('u1', { ...acct, locked: true }), scope);
      expect((await store.directory('H')).H).toMatchObject({ u1: { locked: true }, u2: { locked: false } });
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

    retentionConformance(() => store);
  });

  describe(`Store conformance: ${name}, replies in tree mode`, () => {
    test('a primary is answered once it and all it led to are final; failure if any of it failed', async () => {
      const { store, close } = await open({ repliesMode: 'tree' });
      try {
        await store.insertBatch(newBatch('B', [{ id: 'p', replyid: 'rp' }]));
        await store.claimRunnable(Date.now(), () => 10, 10, true);
        await store.applyRewrites([
          {
            batchId: 'B',
            primaryId: 'p',
            outcome: 'replace',
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

  describe(`Store conformance: ${name}, turns that share a commit`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());
    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
    const states = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.state]));

    test('deferred turns (tick with defer) and directory writes: the store reads them at once, commitDeferred keeps them, an ordinary transaction after them keeps both', async () => {
      await store.insertBatch(newBatch('B', [{ id: 'a', replyid: 'ra' }, { id: 'b', depends: ['a'] }]));
      const first = await store.tick({ results: [], decisions: [], holdMs: 1000, defer: true, claim: { now: Date.now(), capacity: () => 10, max: 10, rewrite: false } });
      expect(first.claims.map((c) => c.id)).toEqual(['a']);
      await store.withDirectory('H', (d) => d.putGroup('g'));
      const second = await store.tick({ results: [{ batchId: 'B', actionId: 'a', result: ok }], decisions: [], holdMs: 1000, defer: true, claim: { now: Date.now(), capacity: () => 10, max: 10, rewrite: false } });
      expect(second.effects.replies.map((r) => r.replyid)).toEqual(['ra']);
      expect(second.claims.map((c) => c.id)).toEqual(['b']);
      expect(await states('B')).toEqual({ a: 'succeeded', b: 'running' });
      await store.commitDeferred();
      await store.commitDeferred();
      await store.tick({ results: [{ batchId: 'B', actionId: 'b', result: ok }], decisions: [], holdMs: 1000, defer: true });
      await store.insertBatch(newBatch('C', [{ id: 'c' }]));
      await store.commitDeferred();
      expect(await states('B')).toEqual({ a: 'succeeded', b: 'succeeded' });
      expect((await store.listBatches()).map((b) => [b.id, b.state]).sort()).toEqual([
        ['B', 'succeeded'],
        ['C', 'received'],
      ]);
      expect((await store.replies()).map((r) => r.replyid)).toEqual(['ra']);
      expect(await store.withDirectory('H', (d) => d.hasGroup('g'))).toBe(true);
    });
  });
}
