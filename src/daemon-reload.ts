import { applyReload, loadConfig, type Config } from './config/index.js';
import { connectorsFor, type ConnectorLookup } from './connectors/index.js';
import type { HomeLock } from './lock.js';
import type { Logger } from './log.js';
import { checkPluginsFolder } from './plugins/index.js';
import type { AnyStore, CommandOutcome, Store } from './store/index.js';
import { triggersFor, type TriggerRunner } from './triggers/index.js';

/**
 * Connectors that can be rebuilt: a reload's targets make new ones for the next actions, while
 * actions already running finish on the old ones, which are closed at the daemon's stop.
 */
export function swappableConnectors(config: Config, store: Store): ConnectorLookup & { rebuild(): void } {
  let current = connectorsFor(config, store);
  const retired: ConnectorLookup[] = [];
  const lookup = (hostid: string) => current(hostid);
  return Object.assign(lookup, {
    rebuild() {
      retired.push(current);
      current = connectorsFor(config, store);
    },
    async close() {
      await Promise.all([current, ...retired].map((c) => c.close()));
    },
  });
}

export interface ReloadParts {
  /** The config file the daemon was started with (or the home's tmon.config.json). */
  file: string;
  required: boolean;
  config: Config;
  logger: Logger & { level: string };
  store: Store;
  /** The store as opened (its trigger filter is swapped on reload). */
  opened: AnyStore;
  triggers: TriggerRunner;
  connectors: { rebuild(): void };
  lock: Pick<HomeLock, 'update'>;
}

/**
 * Re-reads the config file (SIGHUP, `tmon reload`). An invalid file is refused with the messages
 * a start would give, and the running config stays; the board and the log say which. A valid one
 * goes into the running config in place, and what is derived from it is rebuilt: the store's
 * trigger matching, the trigger runner's scripts, the connectors, the log level, the lock's record.
 */
export async function reloadDaemon(p: ReloadParts): Promise<CommandOutcome> {
  let fresh: Config;
  try {
    fresh = loadConfig(p.file, { required: p.required });
    // The plugins folder cannot change live: the new chain must be found in the running one.
    checkPluginsFolder({ pluginsDir: p.config.pluginsDir, rewritePlugin: fresh.rewritePlugin });
  } catch (err) {
    const text = `config reload refused, the running config stays: ${(err as Error).message}`;
    p.logger.error(text);
    await p.store.postMessage({ level: 'error', source: 'config', batch: null, action: null, text });
    return { ok: false, reason: text };
  }
  const changes = applyReload(p.config, fresh);
  p.opened.setTriggersFor(triggersFor(p.config.triggers));
  p.triggers.refresh();
  if (changes.applied.includes('targets')) p.connectors.rebuild();
  p.logger.level = p.config.logLevel;
  p.lock.update({ plugins: p.config.rewritePlugin, pluginsDir: p.config.pluginsDir, config: p.config.file ?? null });
  const restart = changes.needRestart.length ? `; needs a restart to change: ${changes.needRestart.join(', ')}` : '';
  const text = `config reloaded from ${p.file}: ${changes.applied.length ? `applied ${changes.applied.join(', ')}` : 'nothing changed'}${restart}`;
  (changes.needRestart.length ? p.logger.warn : p.logger.info).call(p.logger, text);
  await p.store.postMessage({ level: changes.needRestart.length ? 'warn' : 'info', source: 'config', batch: null, action: null, text });
  return { ok: true, actions: changes.applied, reload: changes };
}
