import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.js';

/** Reads a home's store as the CLI does (query-only), while a daemon may run on it. */
export const readStore = <T>(home: string, fn: (s: SqliteStore) => Promise<T>): Promise<T> => {
  const store = new SqliteStore(join(home, 'tmon.db'), { readonly: true });
  return fn(store).finally(() => store.close());
};
/** The ids of the batches a home holds, sorted. */
export const heldBatches = (home: string) => readStore(home, async (s) => (await s.listBatches()).map((b) => b.id).sort());
export const batchState = (home: string, id: string) => readStore(home, async (s) => (await s.batchDetail(id))?.state);
