import type { Store } from '../../src/store/index.js';
import { newBatch, type ActionSpec } from '../helpers/batches.js';

/** Store.purge, part of the conformance suite (conformance.ts calls it inside its describe). */
export function retentionConformance(current: () => Store): void {
  const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
  /** Runs what is runnable to success, until nothing is; target SLOW only when told. */
  const runAll = async (store: Store, slow = false) => {
    for (;;) {
      const claims = await store.claimRunnable(Date.now(), (host) => (host === 'SLOW' && !slow ? 0 : 100), 100);
      if (claims.length === 0) return;
      for (const c of claims) await store.completeAction(c.batchId, c.id, ok);
    }
  };
  /** Inserts a batch and runs it to success; its replies mirrored unless told. */
  const finish = async (store: Store, id: string, actions: ActionSpec[], mirror = true) => {
    expect((await store.insertBatch(newBatch(id, actions))).result).toBe('inserted');
    await runAll(store);
    if (mirror) await store.markMirrored((await store.unmirroredReplies()).map((r) => r.seq));
  };
  const later = () => ({ batchesBefore: Date.now() + 60_000, messagesBefore: Date.now() + 60_000 });
  const ids = async (store: Store) => (await store.listBatches()).map((b) => b.id).sort();

  test('purge removes a finished batch with its actions and replies, and its replyid is free again', async () => {
    const store = current();
    await finish(store, 'A', [{ id: 'a1', replyid: 'R1' }, { id: 'a2', replyid: 'R2', depends: ['a1'] }]);
    expect((await store.batchDetail('A'))!.state).toBe('succeeded');
    await store.postMessage({ level: 'info', source: 'test', batch: null, action: null, text: 'old news' });
    await expect(store.insertBatch(newBatch('B', [{ id: 'b1', replyid: 'R1' }]))).rejects.toMatchObject({ code: 'BATCH_REPLYID_TAKEN' });

    const dry = await store.purge(later(), { dryRun: true });
    expect(dry).toMatchObject({ batches: ['A'], held: [], actions: 2, replies: 2, messages: 1 });
    expect(await ids(store)).toEqual(['A']);
    expect(await store.messages()).toHaveLength(1);

    expect(await store.purge(later())).toMatchObject({ batches: ['A'], actions: 2, replies: 2, messages: 1 });
    expect(await ids(store)).toEqual([]);
    expect(await store.batchDetail('A')).toBeUndefined();
    expect(await store.replies()).toEqual([]);
    expect(await store.messages()).toEqual([]);
    // The replyid is free: a new batch takes it and is answered with it.
    await finish(store, 'B', [{ id: 'b1', replyid: 'R1' }]);
    expect((await store.replies()).map((r) => [r.replyid, r.batch])).toEqual([['R1', 'B']]);
  });

  test('purge keeps what is still needed: unfinished batches, unmirrored replies, a batch a kept one depends on; and nothing finished after the cut', async () => {
    const store = current();
    await finish(store, 'D', [{ id: 'd1' }]);
    // E waits on a target that is never run here (capacity 0), after D's action.
    expect((await store.insertBatch(newBatch('E', [{ id: 'e1', host: 'SLOW', depends: [{ batch: 'D', action: 'd1' }] }]))).result).toBe('inserted');
    // F is finished and old enough, but V, which depends on it, waits for its reply to reach the outbox.
    await finish(store, 'F', [{ id: 'f1' }]);
    await finish(store, 'U', [{ id: 'u1', replyid: 'RU' }], false);
    await finish(store, 'V', [{ id: 'v1', replyid: 'RV', depends: [{ batch: 'F', action: 'f1' }] }], false);
    expect((await store.batchDetail('E'))!.state).not.toMatch(/succeeded|failed|canceled/);
    // Nothing finished before the cut: nothing goes.
    expect(await store.purge({ batchesBefore: 0, messagesBefore: 0 })).toMatchObject({ batches: [], held: [] });

    const r = await store.purge(later());
    expect(r.batches).toEqual([]);
    expect(r.held.sort()).toEqual(['D', 'F', 'U', 'V']);
    expect(await ids(store)).toEqual(['D', 'E', 'F', 'U', 'V']);

    // Once their replies are in the outbox, U, V and F go; once E is done, D goes too (and E with it).
    await store.markMirrored((await store.unmirroredReplies()).map((x) => x.seq));
    await runAll(store, true);
    expect((await store.batchDetail('E'))!.state).toBe('succeeded');
    expect((await store.purge(later())).batches.sort()).toEqual(['D', 'E', 'F', 'U', 'V']);
    expect(await ids(store)).toEqual([]);
  });
}
