import { statSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { TmonError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { PluginRegistry } from './registry.js';

/** The daemon must not start: a rewrite plugin is configured but its folder is not there. */
export class PluginsFolderError extends TmonError {
  constructor(message: string) {
    // A config that points at nothing is a bad config (exit 65), like any other config error.
    super('CONFIG_PLUGINS_DIR_MISSING', message);
  }
}

/**
 * Called by the daemon at start. With `rewritePlugin` set and no plugins folder, every action
 * would otherwise run un-rewritten (a DELU deleting instead of the site's disable), so tmon
 * refuses to start instead (issue 13 item 13). Without `rewritePlugin` the folder is optional.
 */
export function checkPluginsFolder(config: Pick<Config, 'pluginsDir' | 'rewritePlugin'>): void {
  if (config.rewritePlugin.length === 0) return;
  const names = config.rewritePlugin.join(', ');
  let isDir: boolean;
  try {
    isDir = statSync(config.pluginsDir).isDirectory();
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new PluginsFolderError(`pluginsDir: ${config.pluginsDir} ${why}, and rewritePlugin names ${names}: create the folder or unset rewritePlugin`);
  }
  if (!isDir) throw new PluginsFolderError(`pluginsDir: ${config.pluginsDir} is not a folder, and rewritePlugin names ${names}`);
}

/**
 * What `tmon config check` says of the plugins a config names, beyond its own keys: the folder
 * (the daemon refuses to start without it), each `rewritePlugin` there (a name not found holds
 * its actions, so a typo would stall work), and a plugin that is there but cannot load.
 */
export function pluginProblems(config: Pick<Config, 'pluginsDir' | 'rewritePlugin' | 'interpreters'>): string[] {
  try {
    checkPluginsFolder(config);
  } catch (err) {
    return [(err as Error).message];
  }
  if (config.rewritePlugin.length === 0) return [];
  const registry = new PluginRegistry(config.pluginsDir, config.interpreters);
  const found = registry.list();
  const names = found.map((e) => e.name);
  const problems: string[] = [];
  config.rewritePlugin.forEach((name, i) => {
    const key = config.rewritePlugin.length > 1 ? `rewritePlugin[${i}]` : 'rewritePlugin';
    const entry = found.find((e) => e.name === name);
    if (!entry) {
      const guess = didYouMean(name, names);
      problems.push(`${key}: no plugin "${name}" in ${config.pluginsDir} (${names.length ? `the plugins there: ${names.join(', ')}` : 'the folder holds none'})${guess ? `; did you mean "${guess}"?` : ''}; its actions would be held until it appears`);
    } else if (entry.error) problems.push(`${key}: plugin "${name}" cannot be used: ${entry.error}`);
  });
  return problems;
}
