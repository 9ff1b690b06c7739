import { loadConfig, type Config } from '../config/index.js';
import { hasCode } from '../errors.js';
import { homeLayout, resolveHomeDir } from '../home.js';
import { redact, type Logger } from '../log.js';
import { SqliteStore } from '../store/index.js';

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

/** The config: --config FILE (which must exist), else the home's tmon.config.json if there is one. */
export function cliConfig(opts: GlobalOptions & { config?: string }): Config {
  if (opts.config) return loadConfig(opts.config, { required: true });
  return loadConfig(homeLayout(resolveHome(opts)).config, { required: false });
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
