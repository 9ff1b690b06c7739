import type { Store } from '../../src/store/index.js';
import { newBatch, type ActionSpec } from '../helpers/batches.js';

type Open = () => Promise<{ store: Store; close: () => Promise<void> }>;

/**
 * What a batch's actions are at arrival, by their dependencies: in the batch itself (never final
 * yet: each counts), in an earlier batch (succeeded: no wait; open or unknown: a wait; failed or
 * canceled: skipped at once, with what waits on it). How many each waits for shows in when it
 * becomes ready: not before the last of them succeeds, and then at once.
 */
export function storeArrivalConformance(name: string, open: Open): void {
  describe(`Store conformance: ${name}, dependencies at arrival`, () => {
    let store: Store;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await open());
    });
    afterEach(() => close());

    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
    const bad = { state: 'failed' as const, retval: '7', message: 'refused by target' };
    const accept = async (id: string, actions: ActionSpec[]) => {
      const { result, effects } = await store.insertBatch(newBatch(id, actions));
      expect(result).toBe('inserted');
      return effects;
    };
    const claimAll = () => store.claimRunnable(Date.now(), () => 100, 100);
    const states = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.state]));
    const errors = async (id: string) => Object.fromEntries((await store.batchDetail(id))!.actions.map((a) => [a.id, a.lastError]));
    /** Claims what is ready and completes `batch`'s `action` with `result`. */
    const finish = async (batch: string, action: string, result: typeof ok | typeof bad = ok) => {
      await claimAll();
      return store.completeAction(batch, action, result);
    };

    test('in one batch: each waits for all it names, a name given twice once; nothing is read back as final', async () => {
      const fx = await accept('B', [
        { id: 'a' },
        { id: 'b', depends: ['a'] },
        { id: 'c', depends: ['a', 'b'] },
        { id: 'd', depends: ['b', 'b'] },
        // Named before what it waits for: arrival order does not matter.
        { id: 'e', depends: ['f'] },
        { id: 'f', depends: ['a'] },
      ]);
      expect(fx.events.map((e) => e.type)).toEqual(['batch.received']);
      expect(fx.replies).toEqual([]);
      expect(await states('B')).toEqual({ a: 'ready', b: 'waiting', c: 'waiting', d: 'waiting', e: 'waiting', f: 'waiting' });
      await finish('B', 'a');
      // c still waits for b: it counted two.
      expect(await states('B')).toEqual({ a: 'succeeded', b: 'ready', c: 'waiting', d: 'waiting', e: 'waiting', f: 'ready' });
      await finish('B', 'b');
      // d named b twice and waited for it once.
      expect(await states('B')).toMatchObject({ c: 'ready', d: 'ready', e: 'waiting' });
      await finish('B', 'f');
      expect(await states('B')).toMatchObject({ e: 'ready' });
    });

    test('on an earlier batch: a succeeded action is not waited for, an open or unknown one is, with those of its own batch', async () => {
      await accept('A', [{ id: 's' }, { id: 'o' }]);
      await finish('A', 's');
      const fx = await accept('B', [
        { id: 'b1', depends: [{ batch: 'A', action: 's' }] },
        { id: 'b2', depends: [{ batch: 'A', action: 'o' }, 'b1'] },
        { id: 'b3', depends: [{ batch: 'A', action: 's' }, 'b1'] },
        { id: 'b4', depends: [{ batch: 'Z', action: 'gone' }] },
      ]);
      expect(fx.events.map((e) => e.type)).toEqual(['batch.received']);
      expect(await states('B')).toEqual({ b1: 'ready', b2: 'waiting', b3: 'waiting', b4: 'waiting' });
      // o is running (claimed), not final: b2 waits for it and for b1.
      await finish('B', 'b1');
      expect(await states('B')).toEqual({ b1: 'succeeded', b2: 'waiting', b3: 'ready', b4: 'waiting' });
      await store.completeAction('A', 'o', ok);
      expect(await states('B')).toMatchObject({ b2: 'ready', b4: 'waiting' });
    });

    test('on an earlier batch that failed or was canceled: skipped at arrival, and what waits on it in the new batch too, named; the rest counted as usual', async () => {
      await accept('A', [{ id: 's' }, { id: 'f' }, { id: 'x', depends: ['f'] }, { id: 'w' }, { id: 'n', depends: ['w'] }]);
      await finish('A', 's');
      await store.completeAction('A', 'f', bad);
      expect(await store.cancelAction('A', 'n', '')).toMatchObject({ ok: true });
      const fx = await accept('C', [
        { id: 'c0', replyid: 'r0' },
        // Waits for c2, which comes after it and is skipped: skipped too.
        { id: 'c1', replyid: 'r1', depends: ['c2'] },
        { id: 'c2', replyid: 'r2', depends: ['c0', { batch: 'A', action: 's' }, { batch: 'A', action: 'f' }] },
        { id: 'c3', replyid: 'r3', depends: ['c2', 'c0'] },
        { id: 'c4', replyid: 'r4', depends: [{ batch: 'A', action: 'x' }] },
        { id: 'c5', replyid: 'r5', depends: [{ batch: 'A', action: 'n' }] },
        { id: 'c6', replyid: 'r6', depends: ['c0', { batch: 'A', action: 's' }, { batch: 'A', action: 'w' }] },
      ]);
      expect(await states('C')).toEqual({ c0: 'ready', c1: 'skipped', c2: 'skipped', c3: 'skipped', c4: 'skipped', c5: 'skipped', c6: 'waiting' });
      const skipped = {
        c1: 'skipped: it waits for action c2 of batch C, which skipped',
        c2: 'skipped: it waits for action f of batch A, which failed',
        c3: 'skipped: it waits for action c2 of batch C, which skipped',
        c4: 'skipped: it waits for action x of batch A, which skipped',
        c5: 'skipped: it waits for action n of batch A, which was canceled',
      };
      expect(await errors('C')).toEqual({ c0: null, ...skipped, c6: null });
      expect(new Map(fx.replies.map((r) => [r.replyid, [r.status, r.message]]))).toEqual(
        new Map(Object.entries(skipped).map(([id, message]) => [`r${id.slice(1)}`, ['failure', message]])),
      );
      expect(fx.events.filter((e) => e.type === 'action.skipped').map((e) => [e.action, e.message])).toEqual(expect.arrayContaining(Object.entries(skipped)));
      expect(fx.events.filter((e) => e.type === 'action.skipped')).toHaveLength(5);
      // c6 waits for c0 and w (s succeeded): ready only once both did.
      await finish('C', 'c0');
      expect(await states('C')).toMatchObject({ c0: 'succeeded', c6: 'waiting' });
      await store.completeAction('A', 'w', ok);
      expect(await states('C')).toMatchObject({ c6: 'ready' });
    });
  });
}
