/*
 * The config, for the commands that need it (see context.ts). The trigger modules (an XML
 * writer) load only for a store opened with the trigger settings.
 */
import { DEFAULTS, loadConfig, type Config } from '../config/index.js';
import { homeLayout, resolveHomeDir } from '../home.js';
import { openStore, type AnyStore } from '../store/index.js';
import type { GlobalOptions } from './context.js';

/**
 * The home's store for a command that writes (the daemon must have made it: `STORE_MISSING`
 * otherwise), with the config's reply and trigger settings when given.
 */
export async function writeStore(opts: GlobalOptions & { config?: string }, config: Config = cliConfig(opts), withSettings = true): Promise<AnyStore> {
  const settings = withSettings ? { repliesMode: config.replies.mode, triggersFor: (await import('../triggers/index.js')).triggersFor(config.triggers) } : {};
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
