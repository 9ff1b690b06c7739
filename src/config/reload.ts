import type { Config } from './types.js';

/**
 * Keys a running daemon cannot take without a restart: what it built once at start from them
 * (the store's connection, the HTTP listener, the plugin registry and worker pool, the inbox,
 * the outbox, the log files). A reload keeps their running values and says they need a restart.
 */
export const RESTART_KEYS: ReadonlySet<keyof Config> = new Set<keyof Config>([
  'pluginsDir',
  'interpreters',
  'pluginTimeoutMs',
  'pluginMemoryMb',
  'pluginThreads',
  'pluginHostMemoryMb',
  'replies',
  'inbox',
  'inboxSweepMs',
  'maxPendingActions',
  'storeSync',
  'storeBusyTimeoutMs',
  // Used once, at start.
  'firstPurgeMs',
  'store',
  'http',
  'logs',
  'limits',
]);

export interface ConfigChanges {
  /** Keys whose new value is now in force. */
  applied: string[];
  /** Keys that changed in the file but keep their running value until a restart. */
  needRestart: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Puts a freshly loaded config into the running one, in place: every component holds the same
 * object and reads it when it works, so the new targets, retry, triggers, plugin chain and
 * options, retention and log level apply from their next use. Restart-only keys keep their
 * running values. Returns what changed.
 */
export function applyReload(running: Config, fresh: Config): ConfigChanges {
  const changes: ConfigChanges = { applied: [], needRestart: [] };
  const keys = new Set([...Object.keys(running), ...Object.keys(fresh)] as Array<keyof Config>);
  const target = running as unknown as Record<string, unknown>;
  for (const key of [...keys].sort()) {
    if (same(running[key], fresh[key])) continue;
    // Which file was read is not a setting: follow it silently (the lock's record shows it).
    if (key === 'file') {
      if (fresh.file === undefined) delete target.file;
      else target.file = fresh.file;
      continue;
    }
    if (RESTART_KEYS.has(key)) {
      changes.needRestart.push(key);
      continue;
    }
    changes.applied.push(key);
    if (fresh[key] === undefined) delete target[key];
    else target[key] = fresh[key];
  }
  return changes;
}
