/* The config and the logger, for the commands that need them (see context.ts). */
import { DEFAULTS, loadConfig, type Config } from '../config/index.js';
import { homeLayout, resolveHomeDir } from '../home.js';
import { redact, type Logger } from '../log.js';
import { openStore, type AnyStore } from '../store/index.js';
import { triggersFor } from '../triggers/index.js';
import type { GlobalOptions } from './context.js';

/**
 * The home's store for a command that writes (the daemon must have made it: `STORE_MISSING`
 * otherwise), with the config's reply and trigger settings when given.
 */
export function writeStore(opts: GlobalOptions & { config?: string }, config: Config = cliConfig(opts), withSettings = true): Promise<AnyStore> {
  const settings = withSettings ? { repliesMode: config.replies.mode, triggersFor: triggersFor(config.triggers) } : {};
  return openStore(config.store, homeLayout(resolveHomeDir(opts.home)).db, { mustExist: true, ...settings });
}

/** The config: --config FILE (which must exist), else the home's tmon.config.json if there is one. */
export function cliConfig(opts: GlobalOptions & { config?: string }): Config {
  if (opts.config) return loadConfig(opts.config, { required: true });
  return loadConfig(homeLayout(resolveHomeDir(opts.home)).config, { required: false });
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
