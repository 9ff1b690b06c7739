import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hasCode } from '../../src/errors.js';
import { SqliteStore } from '../../src/store/index.js';

/**
 * Reads a home's store as the CLI does (query-only), while a daemon may run on it. Tests poll
 * through this rather than through `tmon status`: a CLI process costs ~0.4 s of CPU on each poll.
 */
export const readStore = async <T>(home: string, fn: (s: SqliteStore) => Promise<T>): Promise<T> => {
  const store = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
};
/** The ids of the batches a home holds, sorted. */
export const heldBatches = (home: string) => readStore(home, async (s) => (await s.listBatches()).map((b) => b.id).sort());
export const batchState = (home: string, id: string) => readStore(home, async (s) => (await s.batchDetail(id))?.state);
/** A batch's state and each of its actions' (id → state); undefined until the daemon has made the store and stored the batch. */
export const batchStates = async (home: string, id: string): Promise<{ state: string; actions: Record<string, string> } | undefined> => {
  if (!existsSync(join(home, 'tmon.db'))) return undefined;
  // A daemon that is still starting may have made the file but not yet its schema.
  const d = await readStore(home, (s) => s.batchDetail(id)).catch((err: unknown) => (hasCode(err, 'STORE_OLD') ? undefined : Promise.reject(err)));
  return d ? { state: d.state, actions: Object.fromEntries(d.actions.map((a) => [a.id, a.state])) } : undefined;
};
/** One action's state, as `tmon status BATCH` shows it; undefined while it is not stored. */
export const actionState = async (home: string, batch: string, action: string): Promise<string | undefined> => (await batchStates(home, batch))?.actions[action];
