import { existsSync } from 'node:fs';
import { DEFAULTS, loadConfig, type Config } from '../config/index.js';
import { hasCode, TmonError } from '../errors.js';
import { homeLayout, resolveHomeDir } from '../home.js';
import { redact, type Logger } from '../log.js';
import { openStore, type AnyStore } from '../store/index.js';
import { triggersFor } from '../triggers/index.js';

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
    return await openStore(lenientConfig(opts).store, homeLayout(existingHome(opts)).db, { readonly: true });
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
 * The home's store for a command that writes (the daemon must have made it: `STORE_MISSING`
 * otherwise), with the config's reply and trigger settings when given.
 */
export function writeStore(opts: GlobalOptions & { config?: string }, config: Config = cliConfig(opts), withSettings = true): Promise<AnyStore> {
  const settings = withSettings ? { repliesMode: config.replies.mode, triggersFor: triggersFor(config.triggers) } : {};
  return openStore(config.store, homeLayout(resolveHome(opts)).db, { mustExist: true, ...settings });
}

/** The config: --config FILE (which must exist), else the home's tmon.config.json if there is one. */
export function cliConfig(opts: GlobalOptions & { config?: string }): Config {
  if (opts.config) return loadConfig(opts.config, { required: true });
  return loadConfig(homeLayout(resolveHome(opts)).config, { required: false });
}

/**
 * The config for a command that needs only to find the store (purge, reload, messages --ack):
 * a file that does not load leaves the defaults (the home's tmon.db); the daemon says what is wrong.
 */
export function lenientConfig(opts: GlobalOptions & { config?: string }): Config {
  try {
    return cliConfig(opts);
  } catch {
    return { ...DEFAULTS };
  }
}

/** A logger for commands: one line per entry on stderr, secrets redacted. */
export function stderrLogger(verbose = false): Logger {
  const line =
    (level: string) =>
    (message: string, meta?: Record<string, unknown>): void => {
      if (level === 'debug' && !verbose) return;
      const tag = meta?.plugin ? `plugin ${String(meta.plugin)}: ` : '';
      process.stderr.write(`${level === 'info' ? '' : `${level}: `}${tag}${String(redact(message))}\n`);
    };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
