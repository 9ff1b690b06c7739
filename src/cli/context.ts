import { hasCode } from '../errors.js';
import { homeLayout, resolveHomeDir } from '../home.js';
import { SqliteStore } from '../store/index.js';

/*
 * What every command needs: the home and its store. The config and the logger are in
 * cli-config.ts, so that the read-only views (status, show, replies, …) do not load the
 * config's schema validator or winston on each run.
 */

export interface GlobalOptions {
  home?: string;
  verbose?: boolean;
}

/** The home folder: --home, else $TMON_HOME, else ./var (contract §6). */
export function resolveHome(opts: GlobalOptions): string {
  return resolveHomeDir(opts.home);
}

/**
 * The store of the home, opened query-only: reading never blocks or slows the daemon.
 * Undefined when the daemon has not run there yet (nothing to show).
 */
export function readStore(opts: GlobalOptions): SqliteStore | undefined {
  try {
    return new SqliteStore(homeLayout(resolveHome(opts)).db, { readonly: true });
  } catch (err) {
    if (hasCode(err, 'STORE_MISSING')) return undefined;
    throw err;
  }
}

/** Runs `fn` on the home's store (or on nothing, when there is none yet) and closes it. */
export async function withReadStore<T>(opts: GlobalOptions, fn: (store: SqliteStore | undefined) => Promise<T>): Promise<T> {
  const store = readStore(opts);
  try {
    return await fn(store);
  } finally {
    await store?.close();
  }
}
