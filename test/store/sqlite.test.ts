import Database from 'better-sqlite3';
import { join } from 'node:path';
import { migrate, MIGRATIONS, SqliteStore, type SqliteStoreOptions } from '../../src/store/index.js';
import { newBatch } from '../helpers/batches.js';
import { tempDir } from '../helpers/home.js';
import { storeArrivalConformance } from './conformance-arrival.js';
import { storeConformance } from './conformance.js';
import { storeOpsConformance } from './conformance-ops.js';
import { storeViewsConformance } from './conformance-views.js';

/** A fresh SQLite store in a temporary folder, removed with it. */
const openSqlite = async (options: SqliteStoreOptions = {}) => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'tmon.db'), options);
  return {
    store,
    close: async () => {
      await store.close();
      dir.cleanup();
    },
  };
};

storeConformance('SQLite', openSqlite);
storeOpsConformance('SQLite', openSqlite);
storeViewsConformance('SQLite', () => openSqlite());
storeArrivalConformance('SQLite', () => openSqlite());

describe('SQLite specifics', () => {
  test('migrations are recorded and applied once, each in a transaction', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'initial' },
      { version: 2, name: 'running-indexes' },
      { version: 3, name: 'received-index' },
      { version: 4, name: 'rewrite-at-dispatch' },
      { version: 5, name: 'operator-commands' },
      { version: 6, name: 'open-actions' },
      { version: 7, name: 'sealed-secrets' },
      { version: 8, name: 'operator-views' },
      { version: 9, name: 'retention' },
      { version: 10, name: 'board-by-batch' },
      { version: 11, name: 'rewrite-crashes' },
      { version: 12, name: 'covering-runnable' },
    ]);
    const broken = [{ version: 99, name: 'broken', sql: 'CREATE TABLE half (x); THIS IS NOT SQL;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").all()).toEqual([]);
  });

  test('the hot queries use their indexes, not a scan of every action', () => {
    const db = new Database(':memory:');
    migrate(db);
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
    expect(plan(`SELECT hostid, count(*) FROM actions WHERE state = 'running' GROUP BY hostid`)).toMatch(/USING (COVERING )?INDEX actions_running/);
    expect(plan(`SELECT min(runnable_at) FROM actions WHERE state = 'retrying'`)).toMatch(/INDEX actions_retrying/);
    expect(plan(`SELECT * FROM actions WHERE hostid = 'H' AND runnable_at IS NOT NULL AND runnable_at <= 5 ORDER BY interactive DESC, queue_seq LIMIT 4`)).toMatch(/INDEX actions_runnable/);
    // With a plugin the claim's read of a target's queue head never leaves the index (migration 012).
    expect(plan(`SELECT batch_id, id, hostid, rewritten, interactive, queue_seq FROM actions WHERE hostid = 'H' AND runnable_at IS NOT NULL AND runnable_at <= 5 ORDER BY interactive DESC, queue_seq LIMIT 40`)).toMatch(/COVERING INDEX actions_runnable/);
    expect(plan(`SELECT id, document FROM batches WHERE state = 'received' ORDER BY received_at, id LIMIT 8`)).toMatch(/INDEX batches_state_received/);
    expect(plan(`SELECT batch_id, action_id FROM dependencies WHERE dep_batch_id = 'B' AND dep_action_id = 'a'`)).toMatch(/INDEX dependencies_target/);
    // The purge's (migration 009): by finish time, replies by batch, old messages.
    expect(plan(`SELECT id FROM batches WHERE finished_at IS NOT NULL AND finished_at < 5`)).toMatch(/INDEX batches_finished/);
    expect(plan(`SELECT 1 FROM replies WHERE batch_id = 'B' AND mirrored = 0`)).toMatch(/INDEX replies_batch/);
    expect(plan(`DELETE FROM messages WHERE at < 5`)).toMatch(/INDEX messages_at/);
  });

  test('the store runs in WAL mode, synchronous FULL by default, and readers are query-only', async () => {
    const dir = tempDir();
    try {
      const store = new SqliteStore(join(dir.path, 'tmon.db'));
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
      const reader = new SqliteStore(join(dir.path, 'tmon.db'), { readonly: true });
      expect(() => reader.db.prepare("INSERT INTO messages (at, level, source, text) VALUES (1, 'info', 'x', 'y')").run()).toThrow(/readonly|query_only|attempt to write/i);
      await reader.close();
      await store.close();
      expect(() => new SqliteStore(join(dir.path, 'missing.db'), { readonly: true })).toThrow(/has not run on this home yet/);
    } finally {
      dir.cleanup();
    }
  });

  test("with a plugin, a claim reads a target's queue only to its room plus a lookahead of 32: rewrites run that far ahead, no further", async () => {
    const dir = tempDir();
    try {
      const store = new SqliteStore(join(dir.path, 'tmon.db'));
      await store.insertBatch(newBatch('B', Array.from({ length: 60 }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}` }))));
      // One slot, 100 free overall: the window is 1 + 32 rows, all claimed for their rewrite.
      const room = (h: string, busy: number) => 1 - busy;
      const first = await store.claimRunnable(Date.now(), room, 100, true);
      expect(first.map((c) => [c.id, c.rewrite])).toEqual(Array.from({ length: 33 }, (_, i) => [`a${String(i).padStart(2, '0')}`, true]));
      await store.applyRewrites(first.map((c) => ({ batchId: 'B', primaryId: c.id, outcome: 'run' as const, actions: [], message: '', board: null, source: 'test' })));
      // Rewritten, the head waits for room: one runs, and the window (its 33 rows) holds nothing more to rewrite.
      expect((await store.claimRunnable(Date.now(), room, 100, true)).map((c) => [c.id, c.rewrite])).toEqual([['a00', false]]);
      expect(await store.claimRunnable(Date.now(), room, 100, true)).toEqual([]);
      // As the head moves on, so does the window: one more row to rewrite, then the next to run.
      await store.completeAction('B', 'a00', { state: 'succeeded', retval: '0', message: 'ok' });
      expect((await store.claimRunnable(Date.now(), room, 100, true)).map((c) => [c.id, c.rewrite])).toEqual([
        ['a01', false],
        ['a33', true],
      ]);
      await store.close();
    } finally {
      dir.cleanup();
    }
  });

  /** A store holding batch B (one action, a), and a second connection that sees only what is committed. */
  const withObserver = async (check: (store: SqliteStore, seen: { state: () => string; groups: () => number }) => Promise<void>) => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'tmon.db');
      const store = new SqliteStore(path);
      await store.insertBatch(newBatch('B', [{ id: 'a', replyid: 'ra' }]));
      const other = new Database(path, { readonly: true });
      try {
        await check(store, {
          state: () => (other.prepare("SELECT state FROM actions WHERE batch_id = 'B' AND id = 'a'").get() as { state: string }).state,
          groups: () => (other.prepare('SELECT count(*) AS n FROM directory_groups').get() as { n: number }).n,
        });
      } finally {
        other.close();
      }
    } finally {
      dir.cleanup();
    }
  };
  const ok = { state: 'succeeded' as const, retval: '0', message: 'ok' };

  test("the directory's writes are on disk for another connection with the store's next transaction (an action's result), or at close", () =>
    withObserver(async (store, seen) => {
      await store.claimRunnable(Date.now(), () => 10, 10);
      await store.withDirectory('H', (d) => d.putGroup('g'));
      expect(seen.groups()).toBe(0);
      expect(await store.withDirectory('H', (d) => d.hasGroup('g'))).toBe(true);
      await store.completeAction('B', 'a', ok);
      expect(seen.groups()).toBe(1);
      await store.withDirectory('H', (d) => d.putGroup('h'));
      await store.close();
      expect(seen.groups()).toBe(2);
    }));

  test('a deferred turn and the directory writes are on disk for another connection only once committed, with the next ordinary transaction or commitDeferred', () =>
    withObserver(async (store, seen) => {
      await store.tick({ results: [], decisions: [], holdMs: 1000, defer: true, claim: { now: Date.now(), capacity: () => 10, max: 10, rewrite: false } });
      await store.withDirectory('H', (d) => d.putGroup('g'));
      expect([seen.state(), seen.groups()]).toEqual(['ready', 0]);
      await store.commitDeferred();
      expect([seen.state(), seen.groups()]).toEqual(['running', 1]);
      await store.withDirectory('H', (d) => d.putGroup('h'));
      await store.tick({ results: [{ batchId: 'B', actionId: 'a', result: ok }], decisions: [], holdMs: 1000 });
      expect([seen.state(), seen.groups()]).toEqual(['succeeded', 2]);
      await store.withDirectory('H', (d) => d.putGroup('i'));
      await store.close();
      expect(seen.groups()).toBe(3);
    }));
});
