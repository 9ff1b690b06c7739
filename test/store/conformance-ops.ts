import type { Store, StoreEvent } from '../../src/store/index.js';
import { newBatch } from '../helpers/batches.js';

type Open = (options?: { triggersFor?: (event: StoreEvent) => string[] }) => Promise<{ store: Store; close: () => Promise<void> }>;

/**
 * The rest of the Store interface every backend must keep: one turn's transaction, trigger runs,
 * operators' command queue and the daemon's presence, the directory dump and the digest.
 */
export function storeOpsConformance(name: string, open: Open): void {
  describe(`Store conformance: ${name}, turns, trigger runs, commands, presence`, () => {
    let store: Store;
    let close: () => Promise<void>;
    afterEach(() => close());
    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };

    test('tick: results, decisions and claims of one turn in one transaction; completeActions likewise', async () => {
      ({ store, close } = await open());
      await store.insertBatch(newBatch('B', [{ id: 'a', replyid: 'ra' }, { id: 'b', depends: ['a'] }, { id: 'c' }]));
      const first = await store.tick({ results: [], decisions: [], holdMs: 1000, claim: { now: Date.now(), capacity: () => 10, max: 1, rewrite: false } });
      expect(first.claims.map((c) => c.id)).toEqual(['a']);
      // a's result and the next claims in the same turn: b is claimable at once, c too.
      const second = await store.tick({
        results: [{ batchId: 'B', actionId: 'a', result: ok }],
        decisions: [],
        holdMs: 1000,
        claim: { now: Date.now(), capacity: () => 10, max: 10, rewrite: false },
      });
      expect(second.effects.replies.map((r) => r.replyid)).toEqual(['ra']);
      expect(second.claims.map((c) => c.id).sort()).toEqual(['b', 'c']);
      const done = await store.completeActions([
        { batchId: 'B', actionId: 'b', result: ok },
        { batchId: 'B', actionId: 'c', result: ok },
      ]);
      expect(done.events).toContainEqual(expect.objectContaining({ type: 'batch.completed', batch: 'B', state: 'succeeded' }));
      expect(await store.batchDigest('B')).toBe('digest-B');
      expect(await store.batchDigest('NONE')).toBeUndefined();
    });

    test('trigger runs: queued with the event, claimed once, retried, finished; a crash puts running ones back; payloads carry the action', async () => {
      ({ store, close } = await open({ triggersFor: (e) => (e.type === 'batch.received' ? ['audit'] : []) }));
      await store.insertBatch(newBatch('T', [{ id: 't', replyid: 'rt', user: 'ann' }]));
      const now = Date.now();
      expect(await store.nextTriggerAt()).toBeLessThanOrEqual(now);
      const [run] = await store.claimTriggerRuns(now, 10);
      expect(run).toMatchObject({ trigger: 'audit', event: 'batch.received', state: 'running', attempts: 1, payload: expect.objectContaining({ batch: 'T', received: expect.any(Number) }) });
      expect(await store.claimTriggerRuns(now, 10)).toEqual([]);
      await store.finishTriggerRun(run!.id, { ok: false, error: 'exit 1', retryAt: now + 60_000 });
      expect(await store.nextTriggerAt()).toBe(now + 60_000);
      const [again] = await store.claimTriggerRuns(now + 60_000, 10);
      expect(again).toMatchObject({ id: run!.id, attempts: 2 });
      expect(await store.recoverTriggerRuns()).toBe(1);
      const [third] = await store.claimTriggerRuns(now + 60_000, 10);
      await store.finishTriggerRun(third!.id, { ok: true });
      expect((await store.triggerRuns(10)).map((r) => [r.trigger, r.state, r.attempts])).toEqual([['audit', 'succeeded', 3]]);
      expect(await store.nextTriggerAt()).toBeNull();
      const payload = await store.triggerPayload({ type: 'action.succeeded', batch: 'T', action: 't', at: now });
      expect(payload).toMatchObject({ userid: 'ann', replyid: 'rt', attempt: 0 });
    });

    test("operators' commands queue and finish; the daemon says it is alive and leaves; the directory dumps per target", async () => {
      ({ store, close } = await open());
      const id = await store.queueCommand({ kind: 'cancel', batch: 'B', note: 'why' });
      expect(await store.pendingCommands()).toEqual([{ id, command: { kind: 'cancel', batch: 'B', note: 'why' }, state: 'pending', outcome: null }]);
      await store.finishCommand(id, { ok: false, reason: 'no batch B' });
      expect(await store.pendingCommands()).toEqual([]);
      expect(await store.command(id)).toMatchObject({ state: 'done', outcome: { ok: false, reason: 'no batch B' } });
      expect(await store.command(id + 1)).toBeUndefined();
      expect(await store.presence()).toBeUndefined();
      await store.heartbeat(4242, 1000);
      expect(await store.presence()).toMatchObject({ pid: 4242, startedAt: 1000, heartbeatAt: expect.any(Number) });
      await store.leave(1);
      expect(await store.presence()).toBeDefined();
      await store.leave(4242);
      expect(await store.presence()).toBeUndefined();
      await store.withDirectory('H', (d) =>
        d.putAccount('ann', { accountid: 'a', fname: 'Ann', enabled: true, locked: false, passwordExpired: false, context: '', groups: ['g'], attributes: {}, passwordChanges: 0 }),
      );
      expect(await store.directory()).toEqual({ H: { ann: expect.objectContaining({ fname: 'Ann', groups: ['g'] }) } });
      expect(await store.directory('OTHER')).toEqual({});
    });
  });
}
