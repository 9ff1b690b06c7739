import { PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/index.js';
import { waitFor } from '../helpers/daemon.js';
import { newBatch } from '../helpers/batches.js';
import type { Postgres } from '../helpers/postgres.js';

/**
 * Several daemons on one database (docs/postgres.md): two PostgresStore instances with different
 * owners on one schema, as two daemons would be.
 */
export function postgresOwnersSuite(server: () => Postgres): void {
  describe('PostgreSQL: several daemons on one schema', () => {
    let a: PostgresStore;
    let b: PostgresStore;
    let schema: string;
    const open = (owner: string, schema: string, options: Partial<PostgresStoreOptions> = {}) =>
      PostgresStore.open({ url: server().url, schema, owner, poolSize: 4, ...options });
    const pair = async (options: Partial<PostgresStoreOptions> = {}, optionsB: Partial<PostgresStoreOptions> = options) => {
      schema = server().freshSchema();
      a = await open('A', schema, options);
      b = await open('B', schema, optionsB);
    };
    afterEach(async () => {
      await a?.close();
      await b?.close();
    });
    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
    const claim = (s: PostgresStore, capacity = 100, max = 100) => s.claimRunnable(Date.now(), () => capacity, max);
    const ids = (claims: Array<{ batchId: string; id: string }>) => claims.map((c) => `${c.batchId}/${c.id}`).sort();

    test('leases split the batches: each daemon runs only the batches it leases', async () => {
      await pair({ leaseBatches: 1 });
      await a.insertBatch(newBatch('B1', [{ id: 'x' }, { id: 'y' }]));
      await a.insertBatch(newBatch('B2', [{ id: 'x' }, { id: 'y' }]));
      expect(ids(await claim(a))).toEqual(['B1/x', 'B1/y']);
      expect(ids(await claim(b))).toEqual(['B2/x', 'B2/y']);
      // Nothing left unleased: a second claim of either takes nothing of the other's batch.
      expect(await claim(a)).toEqual([]);
      expect(await claim(b)).toEqual([]);
    });

    test("a target's limit counts every daemon's running actions: concurrent claims never pass it", async () => {
      await pair({ leaseBatches: 1 });
      for (let i = 0; i < 6; i++) await a.insertBatch(newBatch(`B${i}`, [{ id: 'x', host: 'H' }, { id: 'y', host: 'H' }]));
      // Each claim may fill the target up to 3, by the count it is given (every daemon's).
      const upTo3 = (s: PostgresStore) => s.claimRunnable(Date.now(), (_h, running) => 3 - running, 100);
      const running = async () => (await a.tallies()).actions.filter((t) => t.state === 'running' && t.hostid === 'H').reduce((n, t) => n + t.count, 0);
      const held: Array<{ batchId: string; id: string }> = [];
      for (let round = 0; round < 4; round++) {
        const claims = (await Promise.all([upTo3(a), upTo3(b), upTo3(a), upTo3(b)])).flat();
        held.push(...claims);
        // Four concurrent claims fill the target exactly, never past it; then one slot frees up.
        expect(claims).toHaveLength(round === 0 ? 3 : 1);
        expect(await running()).toBe(3);
        const done = held.shift()!;
        await a.completeAction(done.batchId, done.id, ok);
      }
    });

    test('the capacity callback sees the running count across daemons', async () => {
      await pair({ leaseBatches: 1 });
      await a.insertBatch(newBatch('B1', [{ id: 'x', host: 'H' }, { id: 'y', host: 'H' }]));
      await a.insertBatch(newBatch('B2', [{ id: 'x', host: 'H' }, { id: 'y', host: 'H' }]));
      expect(await claim(a, 100, 1)).toHaveLength(1);
      const seen: number[] = [];
      const got = await b.claimRunnable(Date.now(), (_h, running) => (seen.push(running), 2 - running), 100);
      expect(seen).toEqual([1]);
      expect(got).toHaveLength(1);
    });

    test("a claim reads as many rows as the target's capacity now allows, whatever it allowed at the last claim", async () => {
      await pair();
      await a.insertBatch(newBatch('B1', [{ id: 'w', host: 'H' }, { id: 'x', host: 'H' }, { id: 'y', host: 'H' }, { id: 'z', host: 'H' }]));
      // One slot: the store learns the target's size as one (the rows it reads first).
      const first = await a.claimRunnable(Date.now(), (_h, running) => 1 - running, 100);
      expect(ids(first)).toEqual(['B1/w']);
      // The target grew (a reloaded config): the claim takes all three it now may, not one.
      const grown = await a.claimRunnable(Date.now(), (_h, running) => 4 - running, 100);
      expect(ids(grown)).toEqual(['B1/x', 'B1/y', 'B1/z']);
    });

    test('interactive first across daemons: a batch action leaves the slot to an interactive one another daemon will run', async () => {
      await pair({ leaseBatches: 1 });
      await a.insertBatch(newBatch('BATCH', [{ id: 'bulk', host: 'H' }]));
      // A leases BATCH while its target has no room; then B leases ASK the same way.
      expect(await claim(a, 0)).toEqual([]);
      await a.insertBatch(newBatch('ASK', [{ id: 'now', host: 'H', interactive: true }]));
      expect(await claim(b, 0)).toEqual([]);
      // Room for one: A may not give it to its batch action while B's interactive one waits.
      expect(await claim(a, 1)).toEqual([]);
      expect(ids(await claim(b, 1))).toEqual(['ASK/now']);
      expect(ids(await claim(a, 1))).toEqual(['BATCH/bulk']);
    });

    test('a dependency on a batch another daemon runs: its completion makes the dependent ready for its own daemon', async () => {
      await pair({ leaseBatches: 1 });
      await a.insertBatch(newBatch('P', [{ id: 'p' }]));
      expect(ids(await claim(a))).toEqual(['P/p']);
      await b.insertBatch(newBatch('Q', [{ id: 'q', depends: [{ batch: 'P', action: 'p' }] }]));
      expect(await claim(b)).toEqual([]);
      await a.completeAction('P', 'p', ok);
      expect(ids(await claim(b))).toEqual(['Q/q']);
    });

    test("an expired lease is taken over: the dead daemon's running actions run again, flagged as a recovery; a live one's are never touched", async () => {
      const schema = server().freshSchema();
      a = await open('A', schema, { leaseMs: 300 });
      b = await open('B', schema, { leaseMs: 60_000 });
      await a.insertBatch(newBatch('B1', [{ id: 'x', replyid: 'rx' }]));
      await a.heartbeat(1, 1);
      expect(ids(await claim(a))).toEqual(['B1/x']);
      // A is alive (its lease is fresh): B's start recovers nothing of it.
      expect(await b.recoverRunning()).toBe(0);
      expect((await a.batchDetail('B1'))!.actions[0]!.state).toBe('running');
      // A stops heart-beating: once its lease expires, B takes the batch over.
      const taken = await waitFor('B to take over B1', async () => {
        const c = await claim(b);
        return c.length > 0 ? c : undefined;
      });
      expect(taken.map((c) => [c.batchId, c.id, c.recovery])).toEqual([['B1', 'x', true]]);
      const effects = await b.completeAction('B1', 'x', ok);
      expect(effects.replies.map((r) => r.replyid)).toEqual(['rx']);
      // B ran it, so B mirrors its reply.
      expect((await b.unmirroredReplies()).map((r) => r.replyid)).toEqual(['rx']);
    });

    test("a dead daemon's unwritten replies go, with their rows, to one live daemon, those of a batch taken over included; a live one's never", async () => {
      const schema = server().freshSchema();
      // A's leases last 300 ms; B counts a daemon silent for 2 s as dead.
      a = await open('A', schema, { leaseMs: 300 });
      b = await open('B', schema, { leaseMs: 2000 });
      await a.heartbeat(1, 1);
      await a.insertBatch(newBatch('B1', [{ id: 'x', replyid: 'rx' }, { id: 'y', replyid: 'ry', depends: ['x'] }]));
      for (const c of await claim(a)) await a.completeAction(c.batchId, c.id, ok);
      // A is alive: its reply is its own to write.
      await b.heartbeat(2, 2);
      expect(await b.adoptOrphanReplies()).toEqual([]);
      // A stops beating: B takes B1 over (its lease expired) and runs y, and A's reply comes with its row.
      const taken = await waitFor('B to take over B1', async () => {
        await b.heartbeat(2, 2);
        const c = await claim(b);
        return c.length > 0 ? c : undefined;
      });
      expect(ids(taken)).toEqual(['B1/y']);
      const adopted = await waitFor('A to count as dead', async () => {
        const r = await b.adoptOrphanReplies();
        return r.length > 0 ? r : undefined;
      });
      expect(adopted.map((r) => r.replyid)).toEqual(['rx']);
      // Once: a second look, or a third daemon's, finds nothing.
      expect(await b.adoptOrphanReplies()).toEqual([]);
      const c3 = await open('C', schema, { leaseMs: 2000 });
      try {
        await c3.heartbeat(3, 3);
        expect(await c3.adoptOrphanReplies()).toEqual([]);
      } finally {
        await c3.close();
      }
      expect((await b.unmirroredReplies()).map((r) => r.replyid)).toEqual(['rx']);
    });

    test('at start a daemon recovers its own leftovers only', async () => {
      await pair({ leaseBatches: 1 });
      await a.insertBatch(newBatch('B1', [{ id: 'x' }]));
      await b.insertBatch(newBatch('B2', [{ id: 'y' }]));
      await a.heartbeat(1, 1);
      await b.heartbeat(2, 2);
      await claim(a, 100, 1);
      await claim(b, 100, 1);
      expect(await a.recoverRunning()).toBe(1);
      expect((await a.batchDetail('B2'))!.actions[0]!.state).toBe('running');
      expect(ids(await claim(a))).toEqual(['B1/x']);
    });

    test('a daemon restarted with its owner id (its home) takes back its batches and running actions at once', async () => {
      await pair({ leaseBatches: 1, leaseMs: 60_000 });
      await a.insertBatch(newBatch('B1', [{ id: 'x' }]));
      await a.heartbeat(1, 1);
      expect(ids(await claim(a))).toEqual(['B1/x']);
      // A dies without leaving; it starts again on the same home: the same owner.
      await a.close();
      a = await open('A', schema, { leaseBatches: 1, leaseMs: 60_000 });
      expect(await a.recoverRunning()).toBe(1);
      expect((await claim(a)).map((c) => [c.batchId, c.id, c.recovery])).toEqual([['B1', 'x', true]]);
      // Its lease was never given up: B does not get the batch.
      expect(await claim(b)).toEqual([]);
    });

    test("replies are mirrored by the daemon that produced them; a departed daemon's are adopted by a live one", async () => {
      await pair({ leaseBatches: 1 });
      await a.heartbeat(1, 1);
      await b.heartbeat(2, 2);
      await a.insertBatch(newBatch('B1', [{ id: 'x', replyid: 'r1' }]));
      await b.insertBatch(newBatch('B2', [{ id: 'y', replyid: 'r2' }]));
      for (const s of [a, b]) for (const c of await claim(s)) await s.completeAction(c.batchId, c.id, ok);
      const mine = async (s: PostgresStore) => (await s.unmirroredReplies()).map((r) => r.replyid).sort();
      const [ra, rb] = [await mine(a), await mine(b)];
      expect([...ra, ...rb].sort()).toEqual(['r1', 'r2']);
      expect(ra).toHaveLength(1);
      expect((await a.replies()).map((r) => r.replyid).sort()).toEqual(['r1', 'r2']);
      await a.leave(1);
      expect(await mine(b)).toEqual(['r1', 'r2']);
      await b.markMirrored((await b.unmirroredReplies()).map((r) => r.seq));
      expect(await mine(b)).toEqual([]);
    });

    test('an operator command is handed to one daemon only; presence reports any live daemon', async () => {
      await pair();
      expect(await a.presence()).toBeUndefined();
      await a.heartbeat(11, 1);
      await b.heartbeat(22, 2);
      expect([11, 22]).toContain((await b.presence())!.pid);
      const ids = [];
      for (let i = 0; i < 10; i++) ids.push(await a.queueCommand({ kind: 'pause', host: `H${i}`, note: '' }));
      const [ca, cb] = await Promise.all([a.pendingCommands(), b.pendingCommands()]);
      const all = [...ca, ...cb].map((c) => c.id).sort((x, y) => x - y);
      expect(all).toEqual(ids);
      // Asked again, each daemon gets back what it holds and not yet finished, never the other's.
      expect((await a.pendingCommands()).map((c) => c.id)).toEqual(ca.map((c) => c.id));
      await b.leave(22);
      expect((await a.pendingCommands()).map((c) => c.id)).toEqual(ids);
    });

    test('a trigger run is claimed by one daemon only; a dead daemon’s running ones are put back', async () => {
      const triggersFor = () => ['t'];
      const schema = server().freshSchema();
      a = await open('A', schema, { triggersFor });
      b = await open('B', schema, { triggersFor });
      await a.heartbeat(1, 1);
      await b.heartbeat(2, 2);
      const events = Array.from({ length: 8 }, (_, i) => ({ type: 'batch.received' as const, batch: null, message: `e${i}`, at: 1 }));
      await a.postMessage({ level: 'info', source: 'test', batch: null, action: null, text: 'x' }, events);
      const [ra, rb] = await Promise.all([a.claimTriggerRuns(Date.now(), 8), b.claimTriggerRuns(Date.now(), 8)]);
      const ids = [...ra, ...rb].map((r) => r.id);
      expect(ids).toHaveLength(8);
      expect(new Set(ids).size).toBe(8);
      for (const r of [...ra, ...rb]) await a.finishTriggerRun(r.id, { ok: false, error: 'again', retryAt: 0 });
      // Claimed in turn: A three, B the other five, none twice.
      expect(await a.claimTriggerRuns(Date.now(), 3)).toHaveLength(3);
      expect(await b.claimTriggerRuns(Date.now(), 8)).toHaveLength(5);
      expect(await a.claimTriggerRuns(Date.now(), 8)).toEqual([]);
      // B is alive: A's start puts back only its own; once B is gone, B's too.
      expect(await a.recoverTriggerRuns()).toBe(3);
      await b.leave(2);
      expect(await a.recoverTriggerRuns()).toBe(5);
    });

    test('the simulated directory: concurrent daemons on one target take turns', async () => {
      await pair();
      const bump = (s: PostgresStore) =>
        s.withDirectory('H', (d) => {
          const acc = d.account('u') ?? { accountid: 'u', fname: '', enabled: true, locked: false, passwordExpired: false, context: '', groups: [], attributes: {}, passwordChanges: 0 };
          d.putAccount('u', { ...acc, passwordChanges: acc.passwordChanges + 1 });
        });
      await Promise.all(Array.from({ length: 10 }, (_, i) => bump(i % 2 ? a : b)));
      expect((await a.directory('H')).H!.u!.passwordChanges).toBe(10);
    });
  });
}
