import { existsSync, readFileSync } from 'node:fs';
import { DEFAULTS } from '../config/defaults.js';
import type { StoreConfig } from '../config/types.js';
import { hasCode, TmonError } from '../errors.js';
import { homeLayout, resolveHomeDir } from '../home.js';
import { openStore, type AnyStore } from '../store/index.js';

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
 * The home folder, which must exist: a command run from the wrong folder (the default home is
 * ./var of where tmon runs) says so instead of showing an empty home or creating one.
 */
export function existingHome(opts: GlobalOptions, createNamed = false): string {
  const home = resolveHome(opts);
  // A home named on purpose (--home, TMON_HOME) may be new: `submit` before the first start.
  if (createNamed && (opts.home !== undefined || process.env.TMON_HOME !== undefined)) return home;
  if (!existsSync(home)) {
    const from = opts.home !== undefined ? '--home' : process.env.TMON_HOME !== undefined ? 'TMON_HOME' : 'the default ./var';
    throw new TmonError('CLI_NO_INPUT', `no tmon home at ${home} (from ${from}); give --home DIR or set TMON_HOME to the daemon's home`);
  }
  return home;
}

/**
 * The store of the home (the one its config names: the home's tmon.db, or a PostgreSQL schema),
 * opened for reading: it never blocks or slows the daemon. Undefined when the daemon has not
 * run there yet (nothing to show). A home folder that does not exist is an error, unless the
 * command can do without one (`optional`: a dry run, a submit to a named new home).
 */
export async function readStore(opts: GlobalOptions & { config?: string }, optional = false): Promise<AnyStore | undefined> {
  if (optional && !existsSync(resolveHome(opts))) return undefined;
  try {
    return await openStore(await storeOf(opts), homeLayout(existingHome(opts)).db, { readonly: true });
  } catch (err) {
    if (hasCode(err, 'STORE_MISSING')) return undefined;
    throw err;
  }
}

/** Runs `fn` on the home's store (or on nothing, when there is none yet) and closes it. */
export async function withReadStore<T>(opts: GlobalOptions & { config?: string }, fn: (store: AnyStore | undefined) => Promise<T>, { optional = false } = {}): Promise<T> {
  const store = await readStore(opts, optional);
  try {
    return await fn(store);
  } finally {
    await store?.close();
  }
}

/**
 * Where the home's store is. Most homes say nothing of it (SQLite, the home's tmon.db): a peek
 * at the file tells, without the config's validator; a file that names a store is loaded whole
 * (a file that does not load leaves the home's tmon.db; the daemon says what is wrong).
 */
async function storeOf(opts: GlobalOptions & { config?: string }): Promise<StoreConfig> {
  const file = opts.config ?? homeLayout(resolveHome(opts)).config;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    raw = undefined;
  }
  if (typeof raw !== 'object' || raw === null || !('store' in raw)) return DEFAULTS.store;
  const { lenientConfig } = await import('./cli-config.js');
  return lenientConfig(opts).store;
}
