import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, SqliteStore } from '../../src/store/index.js';
import { newBatch } from '../helpers/batches.js';
import { tempDir } from '../helpers/home.js';

describe('retention keeps the store file bounded', () => {
  test('a database made without incremental vacuum is switched to it when the store opens', async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'old.db');
      const db = new Database(path);
      migrate(db);
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(0);
      db.close();
      const store = new SqliteStore(path);
      expect(store.db.pragma('auto_vacuum', { simple: true })).toBe(2);
      await store.close();
      const fresh = new SqliteStore(join(dir.path, 'new.db'));
      expect(fresh.db.pragma('auto_vacuum', { simple: true })).toBe(2);
      await fresh.close();
    } finally {
      dir.cleanup();
    }
  });

  test('soak: 20 rounds of batches run and purged, the file levels off instead of growing', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'tmon.db');
    const store = new SqliteStore(path, { synchronous: 'NORMAL' });
    const ok = { state: 'succeeded' as const, retval: '0', message: 'done' };
    const padding = 'x'.repeat(400);
    const sizes: number[] = [];
    try {
      for (let round = 0; round < 20; round++) {
        for (let b = 0; b < 40; b++) {
          const id = `R${round}-B${b}`;
          await store.insertBatch(newBatch(id, [0, 1, 2, 3, 4].map((i) => ({ id: `${id}_${i}`, replyid: `${id}-r${i}`, attributes: { note: padding } }))));
        }
        for (let claims = await store.claimRunnable(Date.now(), () => 1000, 1000); claims.length; claims = await store.claimRunnable(Date.now(), () => 1000, 1000)) {
          await store.completeActions(claims.map((c) => ({ batchId: c.batchId, actionId: c.id, result: ok })));
        }
        await store.markMirrored((await store.unmirroredReplies()).map((r) => r.seq));
        await store.postMessage({ level: 'info', source: 'soak', batch: null, action: null, text: padding });
        store.db.pragma('wal_checkpoint(TRUNCATE)');
        const grown = statSync(path).size;
        const purged = await store.purge({ batchesBefore: Date.now() + 1, messagesBefore: Date.now() + 1 });
        expect(purged.batches).toHaveLength(40);
        expect(purged.actions).toBe(200);
        sizes.push(statSync(path).size);
        // The purge hands the round's pages back: the file is smaller than before it.
        expect(sizes.at(-1)!).toBeLessThan(grown);
      }
      expect(await store.listBatches()).toEqual([]);
      // Levelled off: the second half of the soak never needs more than the first half's peak.
      expect(Math.max(...sizes.slice(10))).toBeLessThanOrEqual(Math.max(...sizes.slice(0, 10)));
    } finally {
      await store.close();
      dir.cleanup();
    }
  });
});
