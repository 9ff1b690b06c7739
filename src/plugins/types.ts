import type { KvGroup } from '../kvgroup/index.js';

/*
 * What a plugin author programs against. A JS plugin's default export has `rewrite`; it gets
 * the batch document cut down to one action (plain data, the JSON view) and returns the
 * output document, as the same plain data or as KVGroup text, directly or from a promise.
 * Nothing here has to be imported for a plugin to work.
 */

export interface PluginLog {
  debug(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface RewriteContext {
  /** `pluginOptions.<this plugin>` from the config, `{}` when none. */
  options: Record<string, unknown>;
  /** This plugin's name (its file name without extension). */
  plugin: string;
  batchId: string;
  /** The primary action's id. */
  actionId: string;
  /** Lines logged here land in tmon's log, tagged with the plugin, batch and action. */
  log: PluginLog;
}

export type RewriteResult = KvGroup | string;

export interface RewritePlugin {
  rewrite(input: KvGroup, context: RewriteContext): RewriteResult | Promise<RewriteResult>;
}
